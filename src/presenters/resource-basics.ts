import type { StoredObject } from '../store/objects.ts';

type Metadata = { labels: Record<string, string>; annotations: Record<string, string> };

/**
 * Keys in the `cloudfoundry.org` domain (and its subdomains) belong to the platform: users may not set
 * them (the request schema refuses them), and they are not shown back. Korifi shows its internal
 * labels; CF never did.
 */
const platformKey = /^(?:[^/]*\.)?cloudfoundry\.org\//;

function userOwned(entries: Record<string, string> | undefined): Record<string, string> {
  const owned: Record<string, string> = {};
  if (entries === undefined) return owned;
  for (const key of Object.keys(entries)) if (!platformKey.test(key)) owned[key] = entries[key]!;
  return owned;
}

/** The user's labels and annotations of a stored object. */
export function presentMetadata(object: StoredObject): Metadata {
  return { labels: userOwned(object.metadata.labels), annotations: userOwned(object.metadata.annotations) };
}

type Timestamps = { readonly created_at: string; readonly updated_at: string };

/**
 * The timestamps of objects the store shares (deep-frozen, so they cannot change), by their metadata:
 * lists sort and present the same ones again and again.
 */
const sharedTimestamps = new WeakMap<object, Timestamps>();

/** `created_at` is the object's creation; `updated_at` its newest recorded write (both RFC 3339, seconds, UTC). */
export function presentTimestamps(object: StoredObject): Timestamps {
  const { metadata } = object;
  if (!Object.isFrozen(metadata)) return timestampsOf(object);
  let timestamps = sharedTimestamps.get(metadata);
  if (timestamps === undefined) {
    timestamps = Object.freeze(timestampsOf(object));
    sharedTimestamps.set(metadata, timestamps);
  }
  return timestamps;
}

function timestampsOf(object: StoredObject): Timestamps {
  const created = object.metadata.creationTimestamp ?? '';
  const writes = (object.metadata.managedFields ?? []).map((entry) => entry.time ?? '').filter((time) => time !== '');
  const updated = writes.reduce((newest, time) => (Date.parse(time) > Date.parse(newest) ? time : newest), created);
  return { created_at: secondsUtc(created), updated_at: secondsUtc(updated) };
}

/** An RFC 3339 time as CF writes it: UTC, whole seconds. */
export function secondsUtc(time: string): string {
  const parsed = Date.parse(time);
  return Number.isNaN(parsed) ? time : `${new Date(parsed).toISOString().slice(0, 19)}Z`;
}
