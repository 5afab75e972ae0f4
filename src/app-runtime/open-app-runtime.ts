import type { AppLogSink } from './app-logs.ts';
import type { AppRuntime } from './app-runtime.ts';
import { LocalRuntime, localRuntimeRoot } from './local/local-runtime.ts';
import { ScriptedRuntime } from './scripted/scripted-runtime.ts';
import { UnavailableRuntime } from './unavailable-runtime.ts';

export type AppRuntimeName = 'none' | 'scripted' | 'local';

/** The configured runtime adapter, writing app log lines to `logs`; the local one keeps its files in the data directory. */
export async function openAppRuntime(name: AppRuntimeName, logs: AppLogSink, options: { dataDir: string }): Promise<AppRuntime> {
  switch (name) {
    case 'local':
      return LocalRuntime.open({ root: localRuntimeRoot(options.dataDir), logs });
    case 'scripted':
      return new ScriptedRuntime(logs);
    case 'none':
      return new UnavailableRuntime();
  }
}
