import type { CrdSchemas } from './crd-schemas.ts';
import type { ObjectTable } from './object-table.ts';
import type { Resource } from './resource.ts';
import type { WriteBatch } from './write-batch.ts';

/**
 * A check of a create or update once defaults are applied and before validation, where the
 * apiserver's RBAC storage refuses escalations; it throws to refuse the write. `current` is the
 * stored object on update.
 */
export type WriteAdmission = (next: Resource, current: Resource | undefined, table: ObjectTable) => void;

/** What the write functions work with inside one transaction. */
export type WriteContext = { table: ObjectTable; batch: WriteBatch; schemas: CrdSchemas; admit?: WriteAdmission | undefined };

/** The context's admission for one write, bound to its stored object (undefined when there is none). */
export function admissionFor(context: WriteContext, current: Resource | undefined): ((next: Resource) => void) | undefined {
  const { admit, table } = context;
  return admit === undefined ? undefined : (next) => admit(next, current, table);
}
