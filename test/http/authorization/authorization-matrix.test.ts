import { expect } from 'chai';
import type { ConfigInput } from '../../../src/config/schema.ts';
import { startPackageRegistry, storeRegistryCredentials, type PackageRegistry } from '../../support/package-registry.ts';
import { startTestServer, type TestServer } from '../../support/test-server.ts';
import { matrix, rows, U, type Expected, type OperationName, type RowName } from './matrix.ts';
import { operations, type Outcome } from './operations.ts';
import { buildWorld, releaseHeldOrg, type World } from './world.ts';

/** The CF error code that goes with each error status of the matrix. */
const errorCodes: Record<number, { code: number; title: string }> = {
  403: { code: 10003, title: 'CF-NotAuthorized' },
  404: { code: 10010, title: 'CF-ResourceNotFound' },
  422: { code: 10008, title: 'CF-UnprocessableEntity' },
};

const describeExpected = (expected: Expected): string =>
  expected === U
    ? `422 ${U}`
    : typeof expected === 'number'
      ? String(expected)
      : typeof expected === 'string'
        ? `200 ${expected}`
        : `200 [${expected.join(', ')}]`;

function checkStatus(expected: number, outcome: Outcome, cell: string, error = errorCodes[expected]): void {
  const { response } = outcome;
  expect(response.status, `${cell}: expected ${expected}, got ${response.status} ${response.text}`).to.equal(expected);
  if (error === undefined) return;
  const [first] = (response.body as { errors: { code: number; title: string }[] }).errors;
  expect({ code: first?.code, title: first?.title }, `${cell}: ${response.text}`).to.deep.equal(error);
}

function checkOutcome(expected: Expected, outcome: Outcome, cell: string): void {
  if (typeof expected === 'number') return checkStatus(expected, outcome, cell);
  if (expected === U) return checkStatus(422, outcome, cell, { code: 10016, title: U });
  const { response } = outcome;
  expect(response.status, `${cell}: expected 200, got ${response.status} ${response.text}`).to.equal(200);
  if (typeof expected === 'string') {
    const state = (response.body as { state?: string }).state;
    expect(state, `${cell}: expected job state ${expected}, got ${response.text}`).to.equal(expected);
    return;
  }
  expect(outcome.labels, `${cell}: the list shows the wrong resources`).to.deep.equal([...expected].sort());
}

for (const backend of ['embedded', 'kubernetes'] as const) {
  describe(`authorization matrix on ${backend}`, function () {
    this.timeout(60_000);
    let server: TestServer | undefined;
    let world: World | undefined;
    let registry: PackageRegistry | undefined;

    before(async function () {
      this.timeout(600_000);
      // Deletion jobs of the held org must stay PROCESSING however long the matrix takes; the scripted
      // runtime stages and runs the lifecycle apps.
      const config: ConfigInput = { deletionTimeoutSeconds: 3600, appRuntime: 'scripted' };
      // On kubernetes, uploaded bits are pushed to a registry.
      if (backend === 'kubernetes') {
        registry = await startPackageRegistry();
        config.containerRegistry = registry.config;
      }
      server = await startTestServer({ backend, config });
      if (registry) await storeRegistryCredentials(server, registry.registry);
      world = await buildWorld(server);
    });

    after(async function () {
      this.timeout(120_000);
      if (world) await releaseHeldOrg(world);
      await server?.stop();
      await registry?.stop();
    });

    for (const operation of Object.keys(matrix) as OperationName[]) {
      describe(operation, () => {
        rows.forEach((row: RowName, index) => {
          const expected = matrix[operation][index] as Expected;
          it(`${row} → ${describeExpected(expected)}`, async () => {
            if (!world) throw new Error('the world was not built');
            const outcome = await operations[operation]({ world, row: world.rows[row] });
            checkOutcome(expected, outcome, `${backend}: ${row} × ${operation}`);
          });
        });
      });
    }
  });
}
