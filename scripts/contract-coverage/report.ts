/**
 * `npm run contract:coverage [-- --check] [--suite <name>]... [--dir <dir>] [--document <file>]`
 *
 * Reads what the test runs recorded (`.cache/contract-coverage/<suite>.json`, written by mocha's root
 * hook) and the bundled document (generated/openapi.json), and prints every operation with the statuses
 * seen, the operations never seen and the declared status codes never seen. By default the `test` record
 * (`npm test`) is required and `e2e` (`npm run test:e2e`) is merged in when there is one; `--suite`
 * names the records to read instead, each required. A missing record fails (exit 2), never passes.
 * With `--check` it exits 1 when an operation has no observed response at all.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import {
  coverageReport,
  type CoverageRecord,
  declaredOperations,
  defaultCoverageDir,
  formatReport,
  mergeResponses,
  readRecord,
} from './coverage.ts';

const { values } = parseArgs({
  options: {
    check: { type: 'boolean', default: false },
    suite: { type: 'string', multiple: true },
    dir: { type: 'string', default: defaultCoverageDir },
    document: { type: 'string', default: new URL('../../generated/openapi.json', import.meta.url).pathname },
  },
});

const wanted = values.suite ?? [];
const records: CoverageRecord[] = [];
const missing: string[] = [];
for (const suite of wanted.length > 0 ? wanted : ['test', 'e2e']) {
  const record = await readRecord(suite, values.dir);
  if (record) records.push(record);
  else if (wanted.length > 0 || suite === 'test') missing.push(suite);
}
if (missing.length > 0) {
  console.error(
    `contract:coverage: no record of the ${missing.join(', ')} suite in ${values.dir}. ` +
      "Run the tests first (npm test, or npx mocha 'test/**/*.test.ts'; npm run test:e2e for e2e): " +
      'their root hook writes what the contract checker saw.',
  );
  process.exit(2);
}

const document = JSON.parse(await readFile(values.document, 'utf8')) as Parameters<typeof declaredOperations>[0];
const report = coverageReport(declaredOperations(document), mergeResponses(records));
console.log(formatReport(report, records));
if (values.check && report.neverSeen.length > 0) {
  console.error(`\ncontract:coverage --check: ${report.neverSeen.length} operations have no observed response`);
  process.exit(1);
}
