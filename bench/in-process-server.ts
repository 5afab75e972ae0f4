import { createApp } from '../src/app.ts';
import { openBackend } from '../src/backends/open-backend.ts';
import { validateConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/schema.ts';
import { loadDocument } from '../src/http/openapi-document.ts';
import { createLogger } from '../src/logger.ts';
import { runtimeOf } from '../src/runtime.ts';
import { startServer } from '../src/server.ts';

/** The server in the benchmark's own process, as main.ts serves it but silent, with its backend. */
export async function serveInProcess(config: Config) {
  const logger = createLogger('silent');
  const backend = await openBackend(config, logger);
  const app = createApp({
    document: await loadDocument(),
    runtime: runtimeOf(config, backend),
    authenticator: backend.authenticator,
    logger,
    metrics: backend.metrics,
  });
  const running = await startServer(app, config);
  return { backend, running };
}

/** The config of a kubernetes server on a local control plane, with its reconcilers, on a free port. */
export function kubernetesBenchConfig(dataDir: string, kubeconfig: string): Config {
  return validateConfig({
    dataDir,
    backend: 'kubernetes',
    kubernetes: { kubeconfig },
    reconcilers: true,
    listen: { host: '127.0.0.1', port: 0 },
    logLevel: 'silent',
  });
}
