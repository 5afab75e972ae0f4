/**
 * `node scripts/spec-breaking/allowances.ts <changes.json> <allowances.yaml>` (check.sh runs it): reads
 * the changes oasdiff found (`oasdiff breaking --format json`) and the reviewed allowances, prints every
 * change, and exits 1 when an ERR-level change is not allowed. Bad allowance files exit 2.
 */
import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { type BreakingChange, checkBreakingChanges, formatBreakingCheck, parseAllowances } from './allowances-lib.ts';

const [changesFile, allowancesFile] = process.argv.slice(2);
if (!changesFile || !allowancesFile) {
  console.error('usage: allowances.ts <changes.json> <allowances.yaml>');
  process.exit(2);
}

const changes = JSON.parse((await readFile(changesFile, 'utf8')) || '[]') as BreakingChange[] | null;
let allowancesText = '';
try {
  allowancesText = await readFile(allowancesFile, 'utf8');
} catch (error) {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}
let allowances;
try {
  allowances = parseAllowances(parseYaml(allowancesText) as unknown);
} catch (error) {
  console.error(`spec:breaking: ${allowancesFile}: ${(error as Error).message}`);
  process.exit(2);
}
const result = checkBreakingChanges(changes ?? [], allowances);
console.log(formatBreakingCheck(result));
if (result.refused.length > 0) process.exit(1);
