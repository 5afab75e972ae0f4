import { v5 } from 'uuid';

/** Our own UUIDv5 namespace: GUIDs derived under it are ours and never collide with other schemes. */
const cfApiGuidNamespace = '31588732-b918-4b71-82f0-b0a2df15c13f';

/**
 * A GUID that is a function of `parts` (UUIDv5), for objects that several server processes may create at
 * the same time: they all pick the same name, so the apiserver keeps exactly one. The parts are encoded
 * as a JSON array, so `('a:b', 'c')` and `('a', 'b:c')` differ.
 */
export function deterministicGuid(...parts: readonly string[]): string {
  return v5(JSON.stringify(parts), cfApiGuidNamespace);
}
