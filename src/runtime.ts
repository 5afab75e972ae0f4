import type { Config } from './config/schema.ts';

/** Process-wide facts handlers may read; later issues add the store and services here. */
export type Runtime = {
  config: Config;
  startedAt: Date;
};
