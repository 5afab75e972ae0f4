import { parseArgs } from 'node:util';
import { createApp } from './app.ts';
import { openBackend } from './backends/open-backend.ts';
import { makeDataDirPrivate } from './backends/private-data-dir.ts';
import { ConfigError, loadConfig } from './config/load.ts';
import { loadDocument } from './http/openapi-document.ts';
import { createLogger } from './logger.ts';
import { Lifecycle } from './observability/lifecycle.ts';
import { runtimeOf } from './runtime.ts';
import { startServer } from './server.ts';

async function main(): Promise<void> {
  // Files this process creates are private to its user, also where no code of ours names a mode: SQLite
  // creates the store's file as 0644 less the umask. Set first, so that no key, token or Secret ever
  // exists with looser modes, not even for a moment (the data directory's walk fixes older files).
  process.umask(0o077);
  const { values } = parseArgs({
    options: {
      config: { type: 'string' },
      backend: { type: 'string' },
      kubeconfig: { type: 'string' },
      context: { type: 'string' },
      reconcilers: { type: 'boolean' },
    },
  });
  const config = await loadConfig({ file: values.config ?? process.env['CFAPI_CONFIG'], overrides: flagOverrides(values) });
  const logger = createLogger(config.logLevel);
  if (config.backend === 'embedded') process.stderr.write((await makeDataDirPrivate(config.dataDir)) ?? '');
  // The reconcilers start once the server listens: over thousands of objects their first lists and
  // their first pass would otherwise hold its first answer.
  const backend = await openBackend(config, logger, { reconcilers: 'later' });
  const document = await loadDocument();
  const lifecycle = new Lifecycle();
  const app = createApp({
    document,
    runtime: runtimeOf(config, backend),
    authenticator: backend.authenticator,
    logger,
    lifecycle,
    metrics: backend.metrics,
  });
  const running = await startServer(app, config, { lifecycle, logger });
  logger.info({ url: running.url, externalUrl: config.externalUrl, backend: config.backend }, 'listening');
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    lifecycle.startDraining();
    void running
      .stop()
      .then(() => backend.close())
      .then(
        () => {
          logger.info('stopped');
          logger.flush();
          process.exit(0);
        },
        (error: unknown) => {
          logger.error({ err: error }, 'stopped, but the backend did not close cleanly');
          logger.flush();
          process.exit(1);
        },
      );
  };
  // `once`: a second signal finds Node's default handler again and ends the process at once (a close
  // that hangs is not waited for twice; the local runtime's instances get their grace period first).
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.stderr.write(
    `cf-k8s-api listening on ${running.url} (external URL ${config.externalUrl}, ${config.backend} backend)\n${backend.describe()}`,
  );
  await backend.startReconcilers();
}

type Flags = {
  backend?: string | undefined;
  kubeconfig?: string | undefined;
  context?: string | undefined;
  reconcilers?: boolean | undefined;
};

/** Command-line flags, applied over the file and the environment. */
function flagOverrides(flags: Flags): Record<string, unknown> {
  const byPath = {
    backend: flags.backend,
    'kubernetes.kubeconfig': flags.kubeconfig,
    'kubernetes.context': flags.context,
    reconcilers: flags.reconcilers,
  };
  return Object.fromEntries(Object.entries(byPath).filter(([, value]) => value !== undefined));
}

main().catch((error: unknown) => {
  process.stderr.write(
    error instanceof ConfigError ? `${error.message}\n` : `Failed to start: ${(error as Error).stack ?? String(error)}\n`,
  );
  process.exit(1);
});
