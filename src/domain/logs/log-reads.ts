import { badQueryValue } from '../../errors/api-error.ts';
import type { LabelSelector } from '../../labels/selector.ts';
import {
  nanosecondsOf,
  selectEnvelopes,
  type Envelope,
  type EnvelopeType,
  type LogSource,
  type LogTarget,
} from '../../log-cache/log-source.ts';
import { isStoreError } from '../../store/errors.ts';
import { label } from '../../store/korifi-labels/label-rules.ts';
import { spaceGuidOf, type App } from '../apps/app-service.ts';
import { listAppProcesses } from '../processes/process-service.ts';
import type { Process } from '../processes/process-spec.ts';
import type { RequestContext } from '../request-context.ts';
import { apiErrorOf } from '../store-failures.ts';

/** Log-cache's envelope types; apps here have envelopes of LOG and GAUGE only. */
export type RequestedEnvelopeType = 'ANY' | 'LOG' | 'COUNTER' | 'GAUGE' | 'TIMER' | 'EVENT';

/** log-cache's read query, as the document validated it (times as decimal strings). */
export type EnvelopeQuery = {
  start_time?: string;
  end_time?: string;
  envelope_types?: readonly RequestedEnvelopeType[];
  limit?: number;
  descending?: boolean;
};

/** log-cache's default and largest `limit`. */
export const defaultEnvelopeLimit = 100;
export const maxEnvelopeLimit = 1000;

export const int64Min = -(2n ** 63n);
export const int64Max = 2n ** 63n - 1n;

/**
 * The envelopes of an app the caller can see (404 `App` otherwise, as Korifi; log-cache answers 404
 * too), with log-cache's semantics: `start_time` inclusive (default: the oldest kept), `end_time`
 * exclusive (default: no end, so a line written in this very millisecond is there too),
 * `envelope_types` (none or `ANY`: all), the oldest `limit` (default 100, at most 1000) in ascending
 * order or the newest first with `descending`. Not Korifi's: its `limit` keeps all but `limit`
 * envelopes, and it answers 404 for an app without a build.
 */
export async function readAppEnvelopes(
  context: RequestContext,
  source: LogSource,
  appGuid: string,
  query: EnvelopeQuery,
): Promise<Envelope[]> {
  const nowNs = nanosecondsOf(new Date());
  const startNs = query.start_time === undefined ? int64Min : int64Of(query.start_time, 'start_time');
  const endNs = query.end_time === undefined ? int64Max : int64Of(query.end_time, 'end_time');
  const limit = query.limit ?? defaultEnvelopeLimit;
  if (!Number.isInteger(limit) || limit < 1 || limit > maxEnvelopeLimit)
    throw badQueryValue(`limit must be an integer from 1 to ${maxEnvelopeLimit}`);
  const types = envelopeTypes(query.envelope_types);
  const { app, processes } = await listAppProcesses(context, appGuid);
  if (types.size === 0 || endNs <= startNs) return [];
  const window = { startNs, endNs, types, limit, descending: query.descending ?? false, nowNs };
  const envelopes = await source.envelopes(logTargetOf(context, app, processes), window);
  return selectEnvelopes(envelopes, window);
}

/** What the log source reads of an app: the app, the given processes of it, and the caller's credentials. */
export function logTargetOf(context: RequestContext, app: App, processes: readonly Process[]): LogTarget {
  const spaceGuid = spaceGuidOf(app);
  const appGuid = app.metadata.name;
  return {
    appGuid,
    appName: app.spec.displayName,
    spaceGuid,
    revision: app.metadata.annotations?.[label('app-rev')] ?? '0',
    processes: processes.map((process) => ({
      guid: process.metadata.name,
      type: process.spec.processType,
      memoryMB: process.spec.memoryMB,
      diskMB: process.spec.diskQuotaMB,
    })),
    latestBuildGuid: () => latestBuildGuid(context, spaceGuid, appGuid),
    credentials: context.auth.credentials,
  };
}

function int64Of(text: string, name: string): bigint {
  const value = BigInt(text);
  if (value < int64Min || value > int64Max) throw badQueryValue(`${name} must be a 64-bit integer of nanoseconds since the Unix epoch`);
  return value;
}

function envelopeTypes(requested: readonly RequestedEnvelopeType[] | undefined): Set<EnvelopeType> {
  if (requested === undefined || requested.length === 0 || requested.includes('ANY')) return new Set(['LOG', 'GAUGE']);
  return new Set(requested.filter((type): type is EnvelopeType => type === 'LOG' || type === 'GAUGE'));
}

/** The app's newest build, read as the caller; none where they may not read builds. */
async function latestBuildGuid(context: RequestContext, namespace: string, appGuid: string): Promise<string | undefined> {
  const selector: LabelSelector = [{ key: label('app-guid'), operator: 'equals', value: appGuid }];
  try {
    const { items } = await context.user.list('CFBuild', { namespace, labelSelector: selector, readOnly: true });
    let newest: (typeof items)[number] | undefined;
    for (const build of items) {
      if (build.spec.appRef.name !== appGuid) continue;
      if (newest === undefined || (build.metadata.creationTimestamp ?? '') >= (newest.metadata.creationTimestamp ?? '')) newest = build;
    }
    return newest?.metadata.name;
  } catch (error) {
    if (isStoreError(error, 'Forbidden')) return undefined;
    throw apiErrorOf(error, 'Build');
  }
}
