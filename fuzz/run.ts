import { parseArgs } from 'node:util';
import { stopSharedControlPlane } from '../test/support/control-plane.ts';
import { fuzzBackend, type Backend, type Figures } from './fuzzer.ts';

/**
 * `npm run fuzz -- --seed 42 --budget 10000 --backend embedded|kubernetes|both [--path <replay path>]`:
 * fuzzes a fresh in-process server per backend with requests derived from the OpenAPI document and
 * prints the figures; exits 1 on the first failure found, printing the seed, fast-check's replay path
 * and the exact request(s).
 */
const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '42' },
    budget: { type: 'string', default: '10000' },
    backend: { type: 'string', default: 'embedded' },
    path: { type: 'string' },
    'shrink-seconds': { type: 'string', default: '60' },
  },
});

const seed = Number(values.seed);
const budget = Number(values.budget);
const backendChoice = values.backend;
if (!Number.isInteger(seed) || !Number.isInteger(budget) || budget < 1) {
  process.stderr.write('usage: npm run fuzz -- [--seed N] [--budget N] [--backend embedded|kubernetes|both] [--path P]\n');
  process.exit(2);
}
const backends: Backend[] =
  backendChoice === 'both'
    ? ['embedded', 'kubernetes']
    : backendChoice === 'embedded' || backendChoice === 'kubernetes'
      ? [backendChoice]
      : [];
if (backends.length === 0) {
  process.stderr.write(`--backend must be embedded, kubernetes or both, not ${backendChoice}\n`);
  process.exit(2);
}

const all: Figures[] = [];
let failed = false;
try {
  for (const backend of backends) {
    process.stderr.write(`[fuzz ${backend}] seed ${seed}, budget ${budget} requests\n`);
    const result = await fuzzBackend({
      backend,
      seed,
      budget,
      ...(values.path ? { path: values.path } : {}),
      shrinkSeconds: Number(values['shrink-seconds']),
    });
    all.push(result.figures);
    if (result.failure) {
      failed = true;
      process.stdout.write(`\n${result.failure}\n\n`);
      break;
    }
  }
} finally {
  await stopSharedControlPlane();
}

for (const figures of all) process.stdout.write(`${formatFigures(figures)}\n`);
process.exit(failed ? 1 : 0);

function formatFigures(figures: Figures): string {
  const classes = ['2xx', '3xx', '4xx', '5xx'].map((name) => `${name} ${figures.byStatusClass[name] ?? 0}`).join(', ');
  const intents = Object.entries(figures.byIntent)
    .map(([name, count]) => `${name} ${count}`)
    .join(', ');
  return [
    `fuzz ${figures.backend}: ${figures.requests} requests (${intents}) in ${(figures.durationMs / 1000).toFixed(1)} s ` +
      `(server start and fixtures ${(figures.startMs / 1000).toFixed(1)} s)`,
    `  by status: ${classes}; 5xx seen: ${figures.fiveHundreds}`,
    `  operations exercised: ${figures.operations} of ${figures.operationsTotal}; store checks: ${figures.storeChecks} ` +
      `(${figures.storeCheckRetries} re-checked after the reconcilers settled); setup, probe and upkeep requests: ${figures.setupRequests}`,
  ].join('\n');
}
