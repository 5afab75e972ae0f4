import { maxEnvelopeLimit, int64Max, int64Min, logTargetOf } from '../logs/log-reads.ts';
import { nanosecondsOf, type Envelope, type LogSource, type LogWindow } from '../../log-cache/log-source.ts';
import type { App } from '../apps/app-service.ts';
import type { RequestContext } from '../request-context.ts';
import type { Process } from './process-spec.ts';

/** One instance's usage as `/stats` shows it: CPU as a fraction of a core, memory and disk in bytes. */
export type InstanceUsage = { timeNs: bigint; cpu: number; memoryBytes: number; diskBytes: number };

/**
 * The newest usage the log source has measured for each instance of the process, by index: what Korifi's
 * stats read from log-cache (the GAUGE envelopes tagged with the process). So it comes from where the
 * logs do, with the caller's own credentials: the runtime's instances here, metrics.k8s.io for a
 * cluster's pods (nothing for a caller whose roles may not read the space's pods, or without a metrics
 * server). Instances with no measure are missing from the map.
 */
export async function instanceUsage(
  context: RequestContext,
  source: LogSource,
  app: App,
  process: Process,
): Promise<Map<number, InstanceUsage>> {
  const window: LogWindow = {
    startNs: int64Min,
    endNs: int64Max,
    types: new Set(['GAUGE']),
    limit: maxEnvelopeLimit,
    descending: true,
    nowNs: nanosecondsOf(new Date()),
  };
  const envelopes = await source.envelopes(logTargetOf(context, app, [process]), window);
  const usage = new Map<number, InstanceUsage>();
  for (const envelope of envelopes) {
    const measured = usageOf(envelope, process);
    if (measured === undefined) continue;
    const known = usage.get(measured.index);
    if (known === undefined || known.timeNs < measured.usage.timeNs) usage.set(measured.index, measured.usage);
  }
  return usage;
}

/** The usage a GAUGE envelope of the process measured, and of which instance; none for other envelopes. */
function usageOf(envelope: Envelope, process: Process): { index: number; usage: InstanceUsage } | undefined {
  const { gauge } = envelope;
  if (gauge === undefined || envelope.tags['process_id'] !== process.metadata.name) return undefined;
  const index = Number(envelope.instanceId);
  if (!Number.isSafeInteger(index) || index < 0) return undefined;
  const value = (name: string) => Math.max(0, gauge[name]?.value ?? 0);
  return {
    index,
    usage: {
      timeNs: envelope.timestampNs,
      // The gauge's `cpu` is a percentage (Korifi's and log-cache's unit); CF's usage is a fraction.
      cpu: value('cpu') / 100,
      memoryBytes: Math.round(value('memory')),
      diskBytes: Math.round(value('disk')),
    },
  };
}
