import { deepFreeze } from '../deep-freeze.ts';
import type { Resource } from './resource.ts';

/**
 * Stored objects decoded once and kept until their row changes, so reads neither fetch nor parse
 * their JSON again. The kept objects are deep-frozen: handed out as they are only to readers that
 * promised not to change them (`readOnly` lists), and copied for everyone else. A write forgets its
 * row before it changes it, and nothing is kept from inside a write transaction (it may roll back), so
 * no entry outlives a committed change nor holds one that never committed.
 */
export class DecodedObjects {
  readonly #byRowId = new Map<number, Resource>();

  get(id: number): Resource | undefined {
    return this.#byRowId.get(id);
  }

  /** Decodes `json` (the row's body) into a frozen object, kept for the row when `keep`. */
  decode(id: number, json: string, keep: boolean): Resource {
    const resource = deepFreeze(JSON.parse(json) as Resource);
    if (keep) this.#byRowId.set(id, resource);
    return resource;
  }

  forget(id: number): void {
    this.#byRowId.delete(id);
  }
}

/** A mutable copy of a decoded JSON value (plain objects, arrays and primitives only): faster than parsing it again. */
export function copyOf<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyOf) as T;
  const copy: Record<string, unknown> = {};
  for (const key in value) copy[key] = copyOf((value as Record<string, unknown>)[key]);
  return copy as T;
}
