import type { components } from '../../generated/openapi-types.ts';
import { appGuidOf, failureReason, sequenceIdText, taskName, taskState, type Task } from '../domain/tasks/task-state.ts';
import { presentMetadata, presentTimestamps } from './resource-basics.ts';

type Schemas = components['schemas'];

/** `JSON.rawJSON` (Node 21+, not yet in TypeScript's lib): a value JSON.stringify writes as the given text. */
const rawJson = (text: string): unknown => (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON(text);

/**
 * An integer given as exact decimal text, for a JSON body: a number where a double holds it exactly,
 * else a raw JSON value that JSON.stringify writes digit for digit (Korifi's sequence IDs exceed 2^53;
 * the cf CLI reads them as int64). Only JSON.stringify should see the result.
 */
export function exactInteger(text: string): number {
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : (rawJson(text) as number);
}

/**
 * A task as CF shows it. Only initialized tasks are presented (the domain filters the others out), so
 * the sequence ID, sizes and droplet are there. Nothing here enforces a log rate, so it shows unlimited.
 */
export function presentTask(task: Task, baseUrl: string): Schemas['Task'] {
  const self = `${baseUrl}/v3/tasks/${task.metadata.name}`;
  const appGuid = appGuidOf(task);
  const dropletGuid = task.status?.dropletRef?.name ?? '';
  return {
    guid: task.metadata.name,
    ...presentTimestamps(task),
    sequence_id: exactInteger(sequenceIdText(task) ?? '0'),
    name: taskName(task),
    ...(task.spec.command !== undefined ? { command: task.spec.command } : {}),
    state: taskState(task),
    memory_in_mb: task.status?.memoryMB ?? 0,
    disk_in_mb: task.status?.diskQuotaMB ?? 0,
    log_rate_limit_in_bytes_per_second: -1,
    result: { failure_reason: failureReason(task) },
    droplet_guid: dropletGuid,
    relationships: { app: { data: { guid: appGuid } } },
    metadata: presentMetadata(task),
    links: {
      self: { href: self },
      app: { href: `${baseUrl}/v3/apps/${appGuid}` },
      cancel: { href: `${self}/actions/cancel`, method: 'POST' },
      droplet: { href: `${baseUrl}/v3/droplets/${dropletGuid}` },
    },
  };
}
