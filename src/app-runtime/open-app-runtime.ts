import type { AppLogSink } from './app-logs.ts';
import type { AppRuntime } from './app-runtime.ts';
import { ScriptedRuntime } from './scripted/scripted-runtime.ts';
import { UnavailableRuntime } from './unavailable-runtime.ts';

export type AppRuntimeName = 'none' | 'scripted';

/** The configured runtime adapter, writing app log lines to `logs`. */
export function openAppRuntime(name: AppRuntimeName, logs: AppLogSink): AppRuntime {
  switch (name) {
    case 'scripted':
      return new ScriptedRuntime(logs);
    case 'none':
      return new UnavailableRuntime();
  }
}
