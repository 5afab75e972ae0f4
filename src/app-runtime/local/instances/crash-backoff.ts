/**
 * When a crashed instance starts again, as Diego's BBS decides (models/restart_calculator.go): the
 * crash count after a crash below `immediateRestarts` restarts at once; from there the wait is
 * `minDelayMs` doubled per further crash, capped at `maxDelayMs`; from `maxRestarts` crashes on the
 * instance stays CRASHED. A crash after more than `resetAfterMs` RUNNING counts as the first again.
 */
export type CrashBackoff = {
  immediateRestarts: number;
  minDelayMs: number;
  maxDelayMs: number;
  maxRestarts: number;
  resetAfterMs: number;
};

/** Diego's values: crashes 1 and 2 restart at once, then 30 s, 1 min, ... up to 16 min; 200 crashes at most; reset after 5 min RUNNING. */
export const diegoCrashBackoff: CrashBackoff = {
  immediateRestarts: 3,
  minDelayMs: 30_000,
  maxDelayMs: 16 * 60_000,
  maxRestarts: 200,
  resetAfterMs: 5 * 60_000,
};

/** The crash count after a crash: 1 again when the instance had been RUNNING longer than the reset time. */
export function nextCrashCount(previous: number, runningForMs: number | undefined, backoff: CrashBackoff): number {
  return runningForMs !== undefined && runningForMs > backoff.resetAfterMs ? 1 : previous + 1;
}

/** How long to wait before starting again after `crashCount` crashes; undefined: never again. */
export function restartDelayMs(crashCount: number, backoff: CrashBackoff): number | undefined {
  if (crashCount < backoff.immediateRestarts) return 0;
  if (crashCount >= backoff.maxRestarts) return undefined;
  const maxExponent = Math.floor(Math.log2(Math.ceil(backoff.maxDelayMs / backoff.minDelayMs)));
  const exponent = Math.min(crashCount - backoff.immediateRestarts, maxExponent);
  return Math.min(backoff.minDelayMs * 2 ** exponent, backoff.maxDelayMs);
}
