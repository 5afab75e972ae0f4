import { parseArgs } from 'node:util';
import { openLocalIdentity } from '../auth/embedded/local-identity.ts';
import { ConfigError, loadConfig } from '../config/load.ts';

/**
 * `npm run user:add -- <name>`: adds a user to the embedded backend, with a client certificate from the
 * local CA and a bearer token, and writes it into `<dataDir>/kubeconfig` for the cf CLI.
 */
async function addUser(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { config: { type: 'string' } }, allowPositionals: true });
  const [name] = positionals;
  if (!name || positionals.length !== 1) throw new ConfigError('Usage: npm run user:add -- <name> [--config <file>]');
  const config = await loadConfig({ file: values.config ?? process.env['CFAPI_CONFIG'] });
  const identity = await openLocalIdentity(config.dataDir);
  await identity.addUser(name);
  process.stdout.write(
    `Added user ${name} to ${identity.kubeconfigPath}\nLog in with: KUBECONFIG=${identity.kubeconfigPath} cf auth ${name}\n`,
  );
}

addUser().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
