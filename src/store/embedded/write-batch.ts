import type { KindName } from '../kinds.ts';
import { jsonEqual } from '../json-equal.ts';
import type { Row } from './object-table.ts';
import type { ObjectKey, Resource } from './resource.ts';

/**
 * One committed change, as watchers see it. It keeps its own copy of what filters look at, since
 * the written object is also returned to the caller, who may change it.
 */
export type Change = {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resourceVersion: number;
  kind: KindName;
  namespace: string;
  name: string;
  labels: Readonly<Record<string, string>>;
  /** The new state as JSON (for DELETED the last state, at the deletion's resourceVersion), parsed once per watcher. */
  json: string;
  /** The stored state before the change, absent for ADDED (kept as JSON: the history holds many). */
  previous: { labels: Readonly<Record<string, string>>; json: string } | undefined;
};

/**
 * What one transaction writes: the resourceVersions it hands out (one per object write, from the
 * global counter), the changes to publish once it commits, and the objects written with new
 * ownerReferences, whose owners the garbage collector checks after the commit.
 */
export class WriteBatch {
  readonly now: string;
  readonly changes: Change[] = [];
  readonly ownerChecks: ObjectKey[] = [];
  #version: number;

  constructor(version: number, now: string) {
    this.#version = version;
    this.now = now;
  }

  /** The counter after this batch's writes. */
  get version(): number {
    return this.#version;
  }

  nextVersion(): number {
    this.#version += 1;
    return this.#version;
  }

  record(type: Change['type'], object: Resource, previous: Row | undefined, json: string): void {
    const { kind, metadata } = object;
    this.changes.push({
      type,
      resourceVersion: Number(metadata.resourceVersion),
      kind,
      namespace: metadata.namespace ?? '',
      name: metadata.name,
      labels: { ...metadata.labels },
      json,
      previous: previous === undefined ? undefined : { labels: { ...previous.resource.metadata.labels }, json: previous.json },
    });
    const owners = metadata.ownerReferences ?? [];
    if (type !== 'DELETED' && owners.length > 0 && !jsonEqual(owners, previous?.resource.metadata.ownerReferences ?? [])) {
      this.ownerChecks.push({ kind, namespace: metadata.namespace ?? '', name: metadata.name });
    }
  }
}
