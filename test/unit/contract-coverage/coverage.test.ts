import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type CoverageRecord,
  coverageReport,
  declaredOperations,
  formatReport,
  mergeResponses,
  readRecord,
  suiteOf,
  writeRecord,
} from '../../../scripts/contract-coverage/coverage.ts';

const document = {
  paths: {
    '/v3/apps': {
      get: { operationId: 'listApps', responses: { '200': {}, '400': {}, default: {} } },
      post: { operationId: 'createApp', responses: { '201': {}, '422': {}, default: {} } },
      parameters: [],
    },
    '/whoami': { get: { operationId: 'getWhoAmI', responses: { '200': {}, default: {} } } },
  },
};

const record = (suite: string, responses: CoverageRecord['responses']): CoverageRecord => ({
  version: 1,
  suite,
  specs: [`test/${suite}`],
  startedAt: '2026-01-01T00:00:00.000Z',
  finishedAt: '2026-01-01T00:01:00.000Z',
  responses,
  unmatched: {},
});

describe('contract coverage (what the contract checker saw against what the document declares)', () => {
  it('lists the operations of a bundled document with their declared response keys, ignoring path-item parameters', () => {
    expect(declaredOperations(document)).to.deep.equal([
      { operationId: 'listApps', method: 'GET', path: '/v3/apps', statuses: ['200', '400', 'default'] },
      { operationId: 'createApp', method: 'POST', path: '/v3/apps', statuses: ['201', '422', 'default'] },
      { operationId: 'getWhoAmI', method: 'GET', path: '/whoami', statuses: ['200', 'default'] },
    ]);
  });

  it('adds up the counts of several runs', () => {
    const merged = mergeResponses([
      record('test', { listApps: { '200': 2 } }),
      record('e2e', { listApps: { '200': 3, '400': 1 }, createApp: { '201': 1 } }),
    ]);
    expect(merged).to.deep.equal({ listApps: { '200': 5, '400': 1 }, createApp: { '201': 1 } });
  });

  it('reports operations never seen, declared codes never seen, codes only `default` declares, and stale operationIds', () => {
    const report = coverageReport(declaredOperations(document), {
      listApps: { '200': 4, '401': 1 },
      createApp: { '422': 2 },
      gone: { '200': 1 },
    });
    expect(report.neverSeen.map((operation) => operation.operationId)).to.deep.equal(['getWhoAmI']);
    const [list, create] = report.operations;
    expect(list!.unseen).to.deep.equal(['400']);
    expect(list!.viaDefault).to.deep.equal(['401']);
    expect(create!.unseen).to.deep.equal(['201']);
    expect(report.declaredStatuses).to.equal(5);
    expect(report.seenStatuses).to.equal(2);
    expect(report.unknown).to.deep.equal(['gone']);
    const text = formatReport(report, [
      { ...record('test', {}), unmatched: { '404': 3 } },
      { ...record('e2e', {}), unmatched: { '404': 1 } },
    ]);
    expect(text).to.contain('Responses to requests no operation matches (checked as CF errors): 404×4');
    expect(text).to.contain('Contract coverage: 2 of 3 operations seen; 2 of 5 declared status codes seen');
    expect(text).to.contain('listApps (GET /v3/apps): 200×4, 401×1 (default)  never: 400');
    expect(text).to.contain('getWhoAmI (GET /whoami): NONE  never: 200');
    expect(text).to.match(/Operations never seen \(1\):\n {2}getWhoAmI \(GET \/whoami\)/);
    expect(text).to.contain('Recorded operations the document does not declare (a record older than the document?): gone');
  });

  it('names a run by its command line: the whole suites of npm test and test:e2e, anything else focused', () => {
    const argv = (...args: string[]) => ['node', 'mocha', ...args];
    expect(suiteOf(argv('test/**/*.test.ts', '--reporter', 'dot'), {})).to.deep.equal({ suite: 'test', specs: ['test/**/*.test.ts'] });
    expect(suiteOf(argv('--timeout', '600000', 'test/e2e/**/*.e2e.ts'), {}).suite).to.equal('e2e');
    expect(suiteOf(argv('test/http/root-and-info.test.ts'), {}).suite).to.equal('focused');
    expect(suiteOf(argv('test/**/*.test.ts', '--grep', 'apps'), {}).suite).to.equal('focused');
    expect(suiteOf(argv('--spec', 'test/**/*.test.ts'), {}).suite).to.equal('test');
    expect(suiteOf(argv('test/unit/x.test.ts'), { CONTRACT_COVERAGE_SUITE: 'mine' }).suite).to.equal('mine');
  });

  describe('records on disk and `npm run contract:coverage`', () => {
    let dir: string;
    let documentFile: string;
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'contract-coverage-'));
      documentFile = join(dir, 'openapi.json');
      await writeFile(documentFile, JSON.stringify(document));
    });
    after(() => rm(dir, { recursive: true, force: true }));

    const report = (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
      new Promise((resolve) => {
        const script = new URL('../../../scripts/contract-coverage/report.ts', import.meta.url).pathname;
        execFile(process.execPath, [script, '--dir', dir, '--document', documentFile, ...args], (error, stdout, stderr) => {
          resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
        });
      });

    it('fails loudly when the test suite left no record, even without --check', async () => {
      const result = await report();
      expect(result.code).to.equal(2);
      expect(result.stderr).to.contain('no record of the test suite').and.to.contain("npx mocha 'test/**/*.test.ts'");
      expect((await report('--check')).code).to.equal(2);
    });

    it('writes and reads a record; --check fails while an operation has no response, passes once e2e saw it', async () => {
      await writeRecord(record('test', { listApps: { '200': 1 }, createApp: { '201': 1 } }), dir);
      expect((await readRecord('test', dir))?.responses).to.deep.equal({ listApps: { '200': 1 }, createApp: { '201': 1 } });
      const plain = await report();
      expect(plain.code).to.equal(0);
      expect(plain.stdout).to.contain('2 of 3 operations seen');
      const checked = await report('--check');
      expect(checked.code).to.equal(1);
      expect(checked.stderr).to.contain('1 operations have no observed response');

      await writeRecord(record('e2e', { getWhoAmI: { '200': 1 } }), dir);
      const merged = await report('--check');
      expect(merged.code, merged.stderr).to.equal(0);
      expect(merged.stdout).to.contain('3 of 3 operations seen').and.to.contain('from e2e: mocha test/e2e');
    });

    it('requires every suite named with --suite', async () => {
      const result = await report('--suite', 'test', '--suite', 'nightly');
      expect(result.code).to.equal(2);
      expect(result.stderr).to.contain('no record of the nightly suite');
    });
  });
});
