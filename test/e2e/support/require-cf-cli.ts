import { execFileSync } from 'node:child_process';
import { locateCfCli } from './cf-cli.ts';

/**
 * Run before the e2e suites (`npm run test:e2e`): without a cf CLI, one line says how to get it and the
 * run fails — it never skips.
 */
try {
  const binary = locateCfCli();
  const version = execFileSync(binary, ['version'], { encoding: 'utf8' }).trim();
  process.stderr.write(`e2e: ${version} (${binary})\n`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
}
