/**
 * How the scripted runtime behaves for one app, read from the app's environment variables, so that a
 * test (or a person with the real cf CLI: `cf set-env app SCRIPTED_STAGING fail`) chooses an outcome
 * without touching the server:
 *
 * - `SCRIPTED_STAGING`: `ok` (default), `fail` or `fail:<message>`, `slow:<ms>` (then ok)
 * - `SCRIPTED_PROCESS_TYPES`: `type=command;type=command` (default `web=scripted-web`)
 * - `SCRIPTED_INSTANCES`: `ok` (RUNNING at once, default), `slow:<ms>` (STARTING that long), `crash`
 * - `SCRIPTED_TASK`: `ok` (SUCCEEDED after `SCRIPTED_TASK_MS`, default 50), `fail` or `fail:<reason>`, `hang` (until canceled)
 */
export type ScriptedOutcomes = {
  staging: { failWith?: string; delayMs: number };
  processTypes: Record<string, string>;
  instances: { crash: boolean; startingMs: number };
  task: { failWith?: string; hang: boolean; runMs: number };
};

const defaultProcessTypes = { web: 'scripted-web' };

export function scriptedOutcomes(environment: Readonly<Record<string, string>>): ScriptedOutcomes {
  const staging = parseOutcome(environment['SCRIPTED_STAGING'], 'scripted staging failed');
  const instances = parseOutcome(environment['SCRIPTED_INSTANCES'], '');
  const task = parseOutcome(environment['SCRIPTED_TASK'], 'scripted task failed');
  return {
    staging: { ...(staging.failWith !== undefined ? { failWith: staging.failWith } : {}), delayMs: staging.delayMs },
    processTypes: parseProcessTypes(environment['SCRIPTED_PROCESS_TYPES']) ?? defaultProcessTypes,
    instances: { crash: instances.word === 'crash', startingMs: instances.delayMs },
    task: {
      ...(task.failWith !== undefined ? { failWith: task.failWith } : {}),
      hang: task.word === 'hang',
      runMs: nonNegativeInteger(environment['SCRIPTED_TASK_MS']) ?? 50,
    },
  };
}

type Outcome = { word?: string; failWith?: string; delayMs: number };

function parseOutcome(value: string | undefined, defaultFailure: string): Outcome {
  if (value === undefined || value === '' || value === 'ok') return { delayMs: 0 };
  const [word = '', ...rest] = value.split(':');
  const argument = rest.join(':');
  if (word === 'fail') return { word, failWith: argument === '' ? defaultFailure : argument, delayMs: 0 };
  if (word === 'slow') return { word, delayMs: nonNegativeInteger(argument) ?? 0 };
  return { word, delayMs: 0 };
}

function parseProcessTypes(value: string | undefined): Record<string, string> | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const entries = value
    .split(';')
    .map((entry) => entry.split('='))
    .filter(([type]) => type !== undefined && type.trim() !== '')
    .map(([type = '', ...command]) => [type.trim(), command.join('=').trim()] as const);
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

function nonNegativeInteger(value: string | undefined): number | undefined {
  const parsed = Number(value);
  return value !== undefined && Number.isSafeInteger(parsed) && parsed >= 0 ? parsed : undefined;
}
