import type { RecentAppLogs } from '../app-runtime/app-logs.ts';
import type { AppRuntime } from '../app-runtime/app-runtime.ts';
import { gaugeEnvelope, type Envelope, type LogSource, type LogTarget, type LogWindow } from './log-source.ts';

/**
 * The log source of apps this server's runtime runs: the lines the runtime streamed (kept per app by
 * RecentAppLogs) as LOG envelopes, and each running instance's usage now, as the runtime reports it,
 * as GAUGE envelopes (none where it reports no usage, or when no runtime runs in this process).
 */
export class RuntimeLogSource implements LogSource {
  readonly #lines: RecentAppLogs;
  readonly #runtime: AppRuntime | undefined;

  constructor(lines: RecentAppLogs, runtime: AppRuntime | undefined) {
    this.#lines = lines;
    this.#runtime = runtime;
  }

  async envelopes(target: LogTarget, window: LogWindow): Promise<Envelope[]> {
    return [
      ...(window.types.has('LOG') ? this.#logs(target, window) : []),
      ...(window.types.has('GAUGE') ? await this.#gauges(target, window) : []),
    ];
  }

  #logs(target: LogTarget, window: LogWindow): Envelope[] {
    const processes = new Map(target.processes.map((process) => [`APP/PROC/${process.type.toUpperCase()}`, process]));
    return this.#lines.readWindow(target.appGuid, window.startNs, window.endNs).map((line) => {
      const process = processes.get(line.sourceType);
      return {
        timestampNs: line.timestampNs,
        sourceId: target.appGuid,
        instanceId: line.instance,
        tags: {
          source_type: line.sourceType,
          app_id: target.appGuid,
          app_name: target.appName,
          space_id: target.spaceGuid,
          ...(process ? { process_id: process.guid, process_type: process.type } : {}),
        },
        log: { payload: Buffer.from(line.text).toString('base64'), type: line.stream === 'stderr' ? 'ERR' : 'OUT' },
      };
    });
  }

  async #gauges(target: LogTarget, window: LogWindow): Promise<Envelope[]> {
    const runtime = this.#runtime;
    if (runtime === undefined) return [];
    const perProcess = await Promise.all(
      target.processes.map(async (process) =>
        (await runtime.processInstances(process.guid)).flatMap((instance) =>
          instance.usage === undefined
            ? []
            : [
                gaugeEnvelope(target, {
                  process,
                  instanceId: String(instance.index),
                  timestampNs: window.nowNs,
                  usage: {
                    cpuPercent: instance.usage.cpu * 100,
                    memoryBytes: instance.usage.memoryBytes,
                    diskBytes: instance.usage.diskBytes,
                  },
                }),
              ],
        ),
      ),
    );
    return perProcess.flat();
  }
}
