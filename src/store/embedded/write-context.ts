import type { CrdSchemas } from './crd-schemas.ts';
import type { ObjectTable } from './object-table.ts';
import type { WriteBatch } from './write-batch.ts';

/** What the write functions work with inside one transaction. */
export type WriteContext = { table: ObjectTable; batch: WriteBatch; schemas: CrdSchemas };
