import { contractCoverage } from './contract-coverage.ts';
import { stopSharedControlPlane } from './control-plane.ts';

// Servers the tests start as processes (npm start's way) inherit this: their local runtime's router takes
// a free port rather than the default 8081, so servers of different suites never compete for one. A test
// that needs to know the port sets its own.
process.env['CFAPI_ROUTER_PORT'] ??= '0';

/** Mocha root hooks: what the whole run shares is torn down once, after every suite. */
export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    // What the contract checker saw, for `npm run contract:coverage` (.cache/contract-coverage/<suite>.json).
    await contractCoverage.write(this.test?.parent?.total());
    await stopSharedControlPlane();
  },
};
