/**
 * Freezes a decoded JSON value and everything in it, so that objects shared between readers (the
 * embedded store's decoded rows, the read cache's objects) throw when one of them tries to change it.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
