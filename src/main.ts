import { parseArgs } from 'node:util';
import { createApp } from './app.ts';
import { openLocalIdentity } from './auth/embedded/local-identity.ts';
import { ConfigError, loadConfig } from './config/load.ts';
import { loadDocument } from './http/openapi-document.ts';
import { createLogger } from './logger.ts';
import { startServer } from './server.ts';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' }, backend: { type: 'string' } } });
  const config = await loadConfig({
    file: values.config ?? process.env['CFAPI_CONFIG'],
    overrides: values.backend ? { backend: values.backend } : {},
  });
  const logger = createLogger(config.logLevel);
  if (config.backend === 'kubernetes') {
    throw new ConfigError('The kubernetes backend is not available yet; run with the embedded backend (the default).');
  }
  const identity = await openLocalIdentity(config.dataDir, config.externalUrl);
  const document = await loadDocument();
  const app = createApp({
    document,
    runtime: { config, startedAt: new Date() },
    authenticator: identity.authenticator,
    logger,
  });
  const running = await startServer(app, config);
  logger.info(
    { url: running.url, externalUrl: config.externalUrl, backend: config.backend, kubeconfig: identity.kubeconfigPath },
    'listening',
  );
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    void running.stop().then(() => {
      logger.info('stopped');
      logger.flush();
      process.exit(0);
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.stderr.write(
    `cf-k8s-api listening on ${running.url} (external URL ${config.externalUrl})\n` +
      `${identity.createdInitialUser ? 'Created the admin user; its' : 'The'} kubeconfig is ${identity.kubeconfigPath}\n` +
      `Log in with: KUBECONFIG=${identity.kubeconfigPath} cf api ${config.externalUrl} && cf auth admin\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(
    error instanceof ConfigError ? `${error.message}\n` : `Failed to start: ${(error as Error).stack ?? String(error)}\n`,
  );
  process.exit(1);
});
