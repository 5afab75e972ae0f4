import { expect } from 'chai';
import { tmpdir } from 'node:os';
import { exitStatus, ProcessGroup, type OutputLine } from '../../../../../src/app-runtime/local/instances/process-group.ts';
import { freshProcTable, groupMembers, parseStat } from '../../../../../src/app-runtime/local/instances/proc-stats.ts';
import { spawn } from 'node:child_process';
import { until } from './fixtures.ts';

describe('local runtime: process groups and /proc', () => {
  it('reads a stat line whose command name holds spaces and parentheses', () => {
    const fields = ['S', '1', '4242', '4242', '0', '-1', '4194304', '10', '0', '0', '0', '150', '50'];
    const rest = [...fields, '0', '0', '20', '0', '1', '0', '987654', '123456789', '2048', ...Array<string>(28).fill('0')];
    expect(parseStat(`4243 (my (odd) app) ${rest.join(' ')}`)).to.deep.equal({
      pid: 4243,
      pgid: 4242,
      state: 'S',
      ticks: 200,
      rssPages: 2048,
      startTime: 987654,
    });
    expect(parseStat('garbage')).to.equal(undefined);
  });

  it('shares reads of /proc between callers that ask at once, never answering with a read begun before the call', async () => {
    const first = freshProcTable();
    const second = freshProcTable();
    const third = freshProcTable();
    expect(second).to.equal(third);
    expect(second).not.to.equal(first);
    // A process started while the first read is under way is in the table of a caller that asks after it.
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    try {
      const members = groupMembers(child.pid!);
      expect((await members).map((entry) => entry.pid)).to.deep.equal([child.pid]);
      await Promise.all([first, second]);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('reports exit statuses as a shell does: 128 + the signal', () => {
    expect(exitStatus({ code: 3, signal: null })).to.equal(3);
    expect(exitStatus({ code: null, signal: 'SIGKILL' })).to.equal(137);
    expect(exitStatus({ code: null, signal: 'SIGTERM' })).to.equal(143);
  });

  it('streams output line by line, without CRs, cutting lines longer than Loggregator keeps', async () => {
    const lines: OutputLine[] = [];
    const group = await ProcessGroup.spawn({
      command: `printf 'one\\r\\ntwo\\n'; printf 'err' >&2; head -c 70000 /dev/zero | tr '\\0' x; printf '\\nlast'`,
      cwd: tmpdir(),
      env: { PATH: '/usr/bin:/bin' },
      onLine: (line) => lines.push(line),
    });
    expect(await group.exited).to.deep.equal({ code: 0, signal: null });
    await until('the last line', () => lines.some((line) => line.text === 'last'));
    const stdout = lines.filter((line) => line.stream === 'stdout').map((line) => line.text);
    expect(stdout.slice(0, 2)).to.deep.equal(['one', 'two']);
    expect(stdout.slice(2).map((text) => text.length)).to.deep.equal([61_440, 70_000 - 61_440, 4]);
    expect(stdout.at(-1)).to.equal('last');
    expect(lines.filter((line) => line.stream === 'stderr')).to.deep.equal([{ text: 'err', stream: 'stderr' }]);
  });

  it('rejects when the shell cannot start', async () => {
    const error = await ProcessGroup.spawn({ command: 'true', cwd: '/nonexistent/dir', env: {}, onLine: () => undefined }).then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).to.be.instanceOf(Error);
  });
});
