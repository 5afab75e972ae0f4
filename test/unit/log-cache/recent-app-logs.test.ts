import { expect } from 'chai';
import { RecentAppLogs } from '../../../src/app-runtime/app-logs.ts';
import { selectEnvelopes, type Envelope, type LogWindow } from '../../../src/log-cache/log-source.ts';

const line = (appGuid: string, text: string, at = new Date('2026-12-05T10:00:00Z')) => ({
  appGuid,
  sourceType: 'APP/PROC/WEB',
  instance: '0',
  text,
  stream: 'stdout' as const,
  timestamp: at,
});

describe('recent app log lines and the log-cache window', () => {
  it('gives lines of one millisecond distinct, increasing nanosecond timestamps', () => {
    const logs = new RecentAppLogs({ linesPerApp: 10 });
    for (const text of ['a', 'b', 'c']) logs.write(line('app', text));
    logs.write(line('app', 'earlier clock', new Date('2026-12-05T09:59:59Z')));
    const base = BigInt(Date.parse('2026-12-05T10:00:00Z')) * 1_000_000n;
    expect(logs.read('app').map((kept) => kept.timestampNs)).to.deep.equal([base, base + 1n, base + 2n, base + 3n]);
    expect(logs.readWindow('app', base + 1n, base + 3n).map((kept) => kept.text)).to.deep.equal(['b', 'c']);
  });

  it('keeps at most linesPerApp lines per app and forgets the app written to least recently', () => {
    const logs = new RecentAppLogs({ linesPerApp: 4, apps: 2 });
    for (let index = 0; index < 5; index++) logs.write(line('one', `line ${index}`));
    expect(logs.read('one').map((kept) => kept.text)).to.deep.equal(['line 3', 'line 4']);
    logs.write(line('two', 'x'));
    logs.write(line('one', 'line 5'));
    logs.write(line('three', 'y'));
    expect(logs.read('two')).to.deep.equal([]);
    expect(logs.read('one').map((kept) => kept.text)).to.deep.equal(['line 3', 'line 4', 'line 5']);
    expect(logs.read('three').map((kept) => kept.text)).to.deep.equal(['y']);
  });

  it('keeps about `bytes` in all: the app written to least recently goes first, one app alone loses its older half', () => {
    // A line of 100 characters costs 400 bytes (its text and the object around it).
    const logs = new RecentAppLogs({ linesPerApp: 100, bytes: 1800 });
    for (const app of ['one', 'two']) for (let index = 0; index < 2; index++) logs.write(line(app, `${app} ${index}`.padEnd(100)));
    logs.write(line('three', 'x'.padEnd(100)));
    expect(logs.read('one')).to.deep.equal([]);
    expect(logs.read('two')).to.have.length(2);
    expect(logs.read('three')).to.have.length(1);
    for (let index = 0; index < 6; index++) logs.write(line('three', `three ${index}`.padEnd(100)));
    expect(logs.read('two')).to.deep.equal([]);
    const three = logs.read('three').map((kept) => kept.text.trim());
    expect(three.length).to.be.within(1, 5);
    expect(three.at(-1)).to.equal('three 5');
  });

  it('cuts a line longer than loggregator carries', () => {
    const logs = new RecentAppLogs({ linesPerApp: 4 });
    logs.write(line('app', 'x'.repeat(70_000)));
    expect(logs.read('app')[0]!.text).to.have.length(61_440);
  });

  it('selects as log-cache: start inclusive, end exclusive, types, the oldest `limit`, or the newest first', () => {
    const envelope = (timestampNs: bigint, kind: 'log' | 'gauge'): Envelope =>
      kind === 'log'
        ? { timestampNs, sourceId: 's', instanceId: '0', tags: {}, log: { payload: '', type: 'OUT' } }
        : { timestampNs, sourceId: 's', instanceId: '0', tags: {}, gauge: {} };
    const all = [envelope(30n, 'log'), envelope(10n, 'log'), envelope(20n, 'gauge'), envelope(40n, 'log')];
    const window = (extra: Partial<LogWindow>): LogWindow => ({
      startNs: 0n,
      endNs: 100n,
      types: new Set(['LOG', 'GAUGE']),
      limit: 100,
      descending: false,
      nowNs: 50n,
      ...extra,
    });
    const times = (selected: Envelope[]) => selected.map((selectedEnvelope) => selectedEnvelope.timestampNs);
    expect(times(selectEnvelopes(all, window({})))).to.deep.equal([10n, 20n, 30n, 40n]);
    expect(times(selectEnvelopes(all, window({ startNs: 20n, endNs: 40n })))).to.deep.equal([20n, 30n]);
    expect(times(selectEnvelopes(all, window({ types: new Set(['LOG']) })))).to.deep.equal([10n, 30n, 40n]);
    expect(times(selectEnvelopes(all, window({ limit: 2 })))).to.deep.equal([10n, 20n]);
    expect(times(selectEnvelopes(all, window({ limit: 2, descending: true })))).to.deep.equal([40n, 30n]);
  });
});
