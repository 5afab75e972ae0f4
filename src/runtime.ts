import type { BitsStore } from './bits/bits-store.ts';
import type { Config } from './config/schema.ts';
import type { LogSource } from './log-cache/log-source.ts';
import { RoleWarnings } from './domain/role-warnings.ts';
import type { Store } from './store/port.ts';

/** Process-wide facts and services handlers may use. */
export type Runtime = {
  config: Config;
  startedAt: Date;
  /** The backend's store, with Korifi's webhook labels set on every write. */
  store: Store;
  /** Tells whether a caller holds any CF role (the `X-Cf-Warnings` of role-less users). */
  roleWarnings: RoleWarnings;
  /** Where package bits are kept, opened at start for the backend. */
  bits: BitsStore;
  /** Where apps' log lines and usage come from, for the log-cache API. */
  logSource: LogSource;
};

/** The runtime of a server on this backend, as it starts now. */
export function runtimeOf(config: Config, backend: { store: Store; bits: BitsStore; logSource: LogSource }): Runtime {
  return {
    config,
    startedAt: new Date(),
    store: backend.store,
    roleWarnings: new RoleWarnings(backend.store, config.rootNamespace),
    bits: backend.bits,
    logSource: backend.logSource,
  };
}
