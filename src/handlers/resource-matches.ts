import type { components } from '../../generated/openapi-types.ts';
import type { FileFingerprint } from '../bits/bits-store.ts';
import type { HandlerMap, OperationHandler } from '../http/operation.ts';

type Listed = NonNullable<components['schemas']['ResourceMatchesRequest']['resources']>[number];
type Matched = components['schemas']['ResourceMatches']['resources'][number];

const sha1Pattern = /^[0-9a-fA-F]{40}$/;
const modePattern = /^[0-7]{1,4}$/;

/** The fingerprint of a listed file, or undefined when the entry names none (it then matches nothing). */
function fingerprintOf(listed: Listed): FileFingerprint | undefined {
  const sha1 = listed.checksum?.value;
  if (sha1 === undefined || !sha1Pattern.test(sha1) || listed.size_in_bytes === undefined) return undefined;
  return { sha1: sha1.toLowerCase(), sizeBytes: listed.size_in_bytes };
}

const keyOf = (file: FileFingerprint): string => `${file.sha1}/${file.sizeBytes}`;

/**
 * `POST /v3/resource_matches`: which of the listed files the bits store's resource cache holds now
 * (the embedded backend keeps uploaded files by SHA-1; the kubernetes backend holds none, as Korifi),
 * answered as they were listed, so that the cf CLI leaves them out of the upload and names them in
 * its `resources` field.
 */
const createResourceMatch: OperationHandler<'createResourceMatch'> = async ({ body }, scope) => {
  const listed = body?.resources ?? [];
  const fingerprints = listed.map(fingerprintOf);
  const candidates = fingerprints.filter((file): file is FileFingerprint => file !== undefined);
  const held = new Set((await scope.runtime.bits.resources.held(candidates)).map(keyOf));
  const resources: Matched[] = [];
  listed.forEach((entry, index) => {
    const file = fingerprints[index];
    if (file === undefined || !held.has(keyOf(file))) return;
    resources.push({
      checksum: { value: entry.checksum!.value! },
      size_in_bytes: file.sizeBytes,
      ...(entry.path ? { path: entry.path } : {}),
      ...(entry.mode !== undefined && modePattern.test(entry.mode) ? { mode: entry.mode } : {}),
    });
  });
  return { status: 201, body: { resources } };
};

export const resourceMatchHandlers = { createResourceMatch } satisfies Partial<HandlerMap>;
