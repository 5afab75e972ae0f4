import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Contract coverage: which (operation, status) pairs the contract checker saw in a test run, and how
 * that compares with what the OpenAPI document declares. The test runs write one record per suite
 * (test/support/contract-coverage.ts); `npm run contract:coverage` (report.ts) reads them.
 */

/** Where runs write their records: outside git (`.cache/` is ignored), one file per suite. */
export const defaultCoverageDir = new URL('../../.cache/contract-coverage/', import.meta.url).pathname;

/** The suites `npm test` and `npm run test:e2e` run; any other mocha run records as `focused`. */
export const fullSuites: Record<string, string[]> = { test: ['test/**/*.test.ts'], e2e: ['test/e2e/**/*.e2e.ts'] };

/** What one mocha run saw: per operationId, per status, how many responses passed the contract check. */
export type CoverageRecord = {
  version: 1;
  suite: string;
  /** The spec arguments of the run, as given to mocha. */
  specs: string[];
  startedAt: string;
  finishedAt: string;
  /** Tests in the run (as mocha counted them), when known. */
  tests?: number;
  responses: Record<string, Record<string, number>>;
  /** Responses to requests no operation matches (checked against the CF error envelope), per status. */
  unmatched: Record<string, number>;
};

/** An operation of the document, as far as the report needs it. */
export type DeclaredOperation = { operationId: string; method: string; path: string; statuses: string[] };

const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** The operations of a bundled document (generated/openapi.json), with the response keys each declares. */
export function declaredOperations(document: { paths?: Record<string, Record<string, unknown>> }): DeclaredOperation[] {
  return Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    methods.flatMap((method) => {
      const operation = item[method] as { operationId?: string; responses?: Record<string, unknown> } | undefined;
      if (!operation) return [];
      const operationId = operation.operationId ?? `${method.toUpperCase()} ${path}`;
      return [{ operationId, method: method.toUpperCase(), path, statuses: Object.keys(operation.responses ?? {}) }];
    }),
  );
}

/**
 * The suite a mocha run records as, from its command line: `CONTRACT_COVERAGE_SUITE` when set, else
 * `test` or `e2e` when the spec arguments are exactly those of `npm test` / `npm run test:e2e` and no
 * test is filtered out, else `focused` (so a focused run never overwrites a whole suite's record).
 */
export function suiteOf(argv: string[], env: NodeJS.ProcessEnv = process.env): { suite: string; specs: string[] } {
  const specs = specArguments(argv);
  const named = env['CONTRACT_COVERAGE_SUITE'];
  if (named) return { suite: named, specs };
  const filtered = argv.some((arg) => /^(-g|-f|--grep|--fgrep|--invert|-i|--forbid-only=false)(=|$)/.test(arg));
  const full = Object.entries(fullSuites).find(([, globs]) => sameList(globs, specs));
  return { suite: full && !filtered ? full[0] : 'focused', specs };
}

/** Positional arguments that name test files or globs (options and their values left out). */
function specArguments(argv: string[]): string[] {
  const takesValue =
    /^(-r|--require|--import|-t|--timeout|-R|--reporter|-O|--reporter-option|-g|--grep|-f|--fgrep|--ignore|--exclude|--extension|--config|--package|-u|--ui|-s|--slow|--retries|-j|--jobs|-n|--node-option)$/;
  const specs: string[] = [];
  for (let index = 2; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--spec') specs.push(argv[++index] ?? '');
    else if (arg.startsWith('--spec=')) specs.push(arg.slice('--spec='.length));
    else if (takesValue.test(arg)) index++;
    else if (!arg.startsWith('-') && /[/.]/.test(arg)) specs.push(arg);
  }
  return specs;
}

function sameList(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((value, index) => value === b[index]);
}

/** Writes a run's record atomically (a rename), so a reader never sees half a file. */
export async function writeRecord(record: CoverageRecord, dir: string = defaultCoverageDir): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${record.suite}.json`);
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(record, null, 2)}\n`);
  await rename(temporary, file);
  return file;
}

/** Reads a suite's record; undefined when the suite has none. */
export async function readRecord(suite: string, dir: string = defaultCoverageDir): Promise<CoverageRecord | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, `${suite}.json`), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const record = JSON.parse(text) as CoverageRecord;
  if (record.version !== 1 || typeof record.responses !== 'object')
    throw new Error(`${join(dir, `${suite}.json`)} is not a contract coverage record`);
  return record;
}

/** Adds the counts of several runs together. */
export function mergeResponses(records: CoverageRecord[]): Record<string, Record<string, number>> {
  const merged: Record<string, Record<string, number>> = {};
  for (const record of records) {
    for (const [operationId, statuses] of Object.entries(record.responses)) {
      const into = (merged[operationId] ??= {});
      for (const [status, count] of Object.entries(statuses)) into[status] = (into[status] ?? 0) + count;
    }
  }
  return merged;
}

function mergeUnmatched(records: CoverageRecord[]): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const record of records) {
    for (const [status, count] of Object.entries(record.unmatched ?? {})) merged[status] = (merged[status] ?? 0) + count;
  }
  return merged;
}

export type OperationCoverage = DeclaredOperation & {
  /** Status → responses seen. */
  seen: Record<string, number>;
  /** Explicitly declared status codes no response had. */
  unseen: string[];
  /** Statuses seen that only `default` declares. */
  viaDefault: string[];
};

export type CoverageReport = {
  operations: OperationCoverage[];
  /** Operations with no response at all. */
  neverSeen: OperationCoverage[];
  declaredStatuses: number;
  seenStatuses: number;
  /** operationIds recorded that the document does not have (a record older than the document). */
  unknown: string[];
};

/** Compares what was seen with what the document declares (`default` is not a status of its own). */
export function coverageReport(declared: DeclaredOperation[], responses: Record<string, Record<string, number>>): CoverageReport {
  const operations = declared.map((operation): OperationCoverage => {
    const seen = responses[operation.operationId] ?? {};
    const explicit = operation.statuses.filter((status) => status !== 'default');
    return {
      ...operation,
      seen,
      unseen: explicit.filter((status) => !(status in seen)),
      viaDefault: Object.keys(seen).filter((status) => !explicit.includes(status)),
    };
  });
  const known = new Set(declared.map((operation) => operation.operationId));
  return {
    operations,
    neverSeen: operations.filter((operation) => Object.keys(operation.seen).length === 0),
    declaredStatuses: operations.reduce((sum, operation) => sum + operation.statuses.filter((status) => status !== 'default').length, 0),
    seenStatuses: operations.reduce((sum, operation) => sum + operation.statuses.filter((status) => status in operation.seen).length, 0),
    unknown: Object.keys(responses).filter((operationId) => !known.has(operationId)),
  };
}

/** The report as text: a summary, every operation with its statuses, then what was never seen. */
export function formatReport(report: CoverageReport, records: CoverageRecord[]): string {
  const total = report.operations.length;
  const seenOperations = total - report.neverSeen.length;
  const lines = [
    `Contract coverage: ${seenOperations} of ${total} operations seen; ${report.seenStatuses} of ${report.declaredStatuses} declared status codes seen`,
    ...records.map(
      (record) =>
        `  from ${record.suite}: mocha ${record.specs.join(' ')}${record.tests === undefined ? '' : `, ${record.tests} tests`}, finished ${record.finishedAt}`,
    ),
    '',
    'Operations (status ×responses; declared but never seen after "never:"):',
  ];
  for (const operation of report.operations) {
    const seen = Object.entries(operation.seen)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([status, count]) => `${status}×${count}${operation.viaDefault.includes(status) ? ' (default)' : ''}`);
    const never = operation.unseen.length > 0 ? `  never: ${operation.unseen.join(', ')}` : '';
    lines.push(`  ${operation.operationId} (${operation.method} ${operation.path}): ${seen.join(', ') || 'NONE'}${never}`);
  }
  lines.push('', `Operations never seen (${report.neverSeen.length}):`);
  for (const operation of report.neverSeen) lines.push(`  ${operation.operationId} (${operation.method} ${operation.path})`);
  const unseenStatuses = report.operations.filter((operation) => operation.unseen.length > 0);
  lines.push(
    '',
    `Declared status codes never seen (${report.declaredStatuses - report.seenStatuses}, in ${unseenStatuses.length} operations):`,
  );
  for (const operation of unseenStatuses) lines.push(`  ${operation.operationId}: ${operation.unseen.join(', ')}`);
  const unmatched = mergeUnmatched(records);
  if (Object.keys(unmatched).length > 0) {
    const counts = Object.entries(unmatched).map(([status, count]) => `${status}×${count}`);
    lines.push('', `Responses to requests no operation matches (checked as CF errors): ${counts.join(', ')}`);
  }
  if (report.unknown.length > 0) {
    lines.push('', `Recorded operations the document does not declare (a record older than the document?): ${report.unknown.join(', ')}`);
  }
  return lines.join('\n');
}
