import type { ConfigInput } from '../../../src/config/schema.ts';
import { startTestServer, type TestServer } from '../../support/test-server.ts';
import { CfClient } from './cf-client.ts';

export type Backend = 'embedded' | 'kubernetes';

export const backends: readonly Backend[] = ['embedded', 'kubernetes'];

/**
 * Registers the same tests once per backend: a describe per backend whose before/after start and stop
 * one real server (on Kubernetes: the shared control plane, with its own root namespace and the
 * in-process reconcilers), and hands the tests a client for it. Kubernetes deletes namespaces slowly,
 * hence its timeout.
 */
export function forEachBackend(
  title: string,
  define: (cf: CfClient, backend: Backend) => void,
  options: { config?: ConfigInput } = {},
): void {
  for (const backend of backends) {
    describe(`${title} (${backend})`, function () {
      this.timeout(backend === 'kubernetes' ? 120_000 : 30_000);
      let server: TestServer | undefined;
      before(async () => {
        server = await startTestServer({ backend, ...(options.config ? { config: options.config } : {}) });
      });
      after(() => server?.stop());
      define(
        new CfClient(() => {
          if (!server) throw new Error(`the ${backend} server of "${title}" has not started`);
          return server;
        }),
        backend,
      );
    });
  }
}
