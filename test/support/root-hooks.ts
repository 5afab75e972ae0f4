import { stopSharedControlPlane } from './control-plane.ts';

/** Mocha root hooks: what the whole run shares is torn down once, after every suite. */
export const mochaHooks = {
  async afterAll(this: Mocha.Context): Promise<void> {
    this.timeout(60_000);
    await stopSharedControlPlane();
  },
};
