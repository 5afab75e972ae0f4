import { createHash } from 'node:crypto';
import type { KindName } from '../kinds.ts';
import type { Condition, StoredObject } from '../objects.ts';

/** Korifi's label prefix; every label below is `korifi.cloudfoundry.org/<name>`. */
export const korifiPrefix = 'korifi.cloudfoundry.org/';
export const label = (name: string): string => `${korifiPrefix}${name}`;

/** Label values are limited to 63 characters, so display names are indexed by their SHA-224, as Korifi does. */
export function hashedLabelValue(value: string): string {
  return createHash('sha224').update(value).digest('hex');
}

/** Korifi's timestamp label format: UTC `2006-01-02T15-04-05` (colons are not allowed in label values). */
export function timestampLabelValue(date: Date): string {
  return date.toISOString().slice(0, 19).replaceAll(':', '-');
}

type AnyObject = StoredObject & { spec?: Record<string, unknown>; status?: Record<string, unknown> };
type Labels = Record<string, string>;

const ref = (value: unknown): string | undefined => (value as { name?: string } | undefined)?.name;
const readyStatus = (object: AnyObject): string | undefined =>
  (object.status?.['conditions'] as Condition[] | undefined)?.find((condition) => condition.type === 'Ready')?.status;
const isReady = (object: AnyObject) => readyStatus(object) === 'True';

/**
 * The labels Korifi's label-indexer webhook derives from each kind's spec, namespace and status
 * (korifi-api.md 2.2), which lists and filters rely on. Values that cannot be computed are left out.
 */
const rules: Partial<Record<KindName, (object: AnyObject) => Record<string, string | undefined>>> = {
  CFOrg: (o) => ({ 'org-name': hashed(o.spec?.['displayName']), ready: readyStatus(o) }),
  CFSpace: (o) => ({ 'space-name': hashed(o.spec?.['displayName']), 'org-guid': o.metadata.namespace, ready: readyStatus(o) }),
  CFApp: (o) => ({
    'space-guid': o.metadata.namespace,
    'display-name': hashed(o.spec?.['displayName']),
    'deployment-status': isReady(o) ? 'FINALIZED' : 'ACTIVE',
  }),
  CFProcess: (o) => ({
    'space-guid': o.metadata.namespace,
    'app-guid': ref(o.spec?.['appRef']),
    'process-type': o.spec?.['processType'] as string | undefined,
  }),
  CFPackage: (o) => ({
    'space-guid': o.metadata.namespace,
    'app-guid': ref(o.spec?.['appRef']),
    'package-state': isReady(o) ? 'READY' : 'AWAITING_UPLOAD',
  }),
  CFBuild: (o) => ({
    'space-guid': o.metadata.namespace,
    'droplet-guid': o.metadata.name,
    'app-guid': ref(o.spec?.['appRef']),
    'package-guid': ref(o.spec?.['packageRef']),
    'build-state': o.status?.['state'] as string | undefined,
  }),
  CFRoute: (o) => ({
    'domain-guid': ref(o.spec?.['domainRef']),
    'space-guid': o.metadata.namespace,
    'route-host': o.spec?.['host'] as string | undefined,
    'route-path': hashed(o.spec?.['path'] ?? ''),
    unmapped: String(((o.spec?.['destinations'] as unknown[] | undefined) ?? []).length === 0),
  }),
  CFDomain: (o) => ({ 'domain-name': hashed(o.spec?.['name']) }),
  CFServiceInstance: (o) => ({
    'space-guid': o.metadata.namespace,
    'plan-guid': o.spec?.['planGuid'] as string | undefined,
    'display-name': hashed(o.spec?.['displayName']),
    'service-instance-type': o.spec?.['type'] as string | undefined,
  }),
  CFServiceBinding: (o) => ({
    'space-guid': o.metadata.namespace,
    'display-name': hashed(o.spec?.['displayName']),
    'service-instance-guid': ref(o.spec?.['service']),
    'app-guid': ref(o.spec?.['appRef']),
    'service-binding-type': o.spec?.['type'] as string | undefined,
  }),
  CFTask: (o) => ({
    'space-guid': o.metadata.namespace,
    'app-guid': ref(o.spec?.['appRef']),
    'task-sequence-id': sequenceIdLabel(o),
  }),
};

/**
 * A task's sequence ID as label text. Korifi's (`YYYYMMDDhhmmssSSS`) exceed 2^53, so the number read here
 * may be off by a few units: the label its webhook wrote from the exact int64 is kept when it is that number.
 */
function sequenceIdLabel(o: AnyObject): string | undefined {
  const id = o.status?.['sequenceId'];
  if (typeof id !== 'number' || !Number.isInteger(id)) return undefined;
  if (Number.isSafeInteger(id)) return String(id);
  const current = o.metadata.labels?.[label('task-sequence-id')];
  return current !== undefined && /^\d+$/.test(current) && Number(current) === id ? current : BigInt(id).toString();
}

function hashed(value: unknown): string | undefined {
  return typeof value === 'string' ? hashedLabelValue(value) : undefined;
}

/** Whether Korifi's webhooks label this kind at all (Korifi kinds only; core kinds are left alone). */
export function isLabelledKind(kind: KindName): boolean {
  return kind in rules || kind === 'BuilderInfo';
}

/**
 * The derived labels of an object, plus `guid` (the object's name): a value for each label it must
 * carry, `null` for each index label it must not carry (its source is empty or gone).
 */
export function derivedLabels(object: StoredObject): Record<string, string | null> {
  const derived = { guid: object.metadata.name, ...(rules[object.kind]?.(object) ?? {}) };
  const labels: Record<string, string | null> = {};
  for (const [name, value] of Object.entries(derived)) labels[label(name)] = value === undefined || value === '' ? null : value;
  return labels;
}

/** The object's labels as they must be: its own, with the derived ones set and stale index labels removed. */
export function withDerivedLabels(object: StoredObject, extra: Labels = {}): Labels {
  const labels: Labels = { ...object.metadata.labels };
  for (const [key, value] of Object.entries({ ...derivedLabels(object), ...extra })) {
    if (value === null) delete labels[key];
    else labels[key] = value;
  }
  return labels;
}

/** A merge patch of `labels` that turns `current` into `wanted` (null removes). */
export function labelsPatch(current: Labels | undefined, wanted: Labels): Record<string, string | null> {
  const patch: Record<string, string | null> = {};
  for (const key of Object.keys(current ?? {})) if (!(key in wanted)) patch[key] = null;
  for (const [key, value] of Object.entries(wanted)) if (current?.[key] !== value) patch[key] = value;
  return patch;
}
