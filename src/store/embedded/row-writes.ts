import type { Row } from './object-table.ts';
import type { ObjectKey, Resource } from './resource.ts';
import type { WriteContext } from './write-context.ts';

/** Writes a changed object with a new resourceVersion and records the MODIFIED change. */
export function writeRow(context: WriteContext, key: ObjectKey, row: Row, next: Resource): Resource {
  const resourceVersion = context.batch.nextVersion();
  next.metadata.resourceVersion = String(resourceVersion);
  const json = JSON.stringify(next);
  context.table.replace(key, row, next, json);
  context.batch.record('MODIFIED', next, row, json);
  return next;
}
