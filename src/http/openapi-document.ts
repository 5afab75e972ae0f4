import { readFile } from 'node:fs/promises';
import { OpenAPIBackend, type Document } from 'openapi-backend';
import type { DocumentOperation } from './compiled-operation.ts';

/** The bundled OpenAPI document, generated from `openapi/` by `npm run generate`. */
export const documentUrl = new URL('../../generated/openapi.json', import.meta.url);

export type LoadedDocument = { document: Document; operations: DocumentOperation[] };

/**
 * Loads the bundled document through openapi-backend, which dereferences it and lists its operations
 * with path-level parameters and global security merged in. `quick` skips openapi-backend's own
 * document check, which knows only OpenAPI 3.0 and rejects valid 3.1; `redocly lint` checks the
 * document instead, in `npm test`.
 */
export async function loadDocument(url: URL = documentUrl): Promise<LoadedDocument> {
  const definition = JSON.parse(await readFile(url, 'utf8')) as Document;
  const api = new OpenAPIBackend({ definition, validate: false, strict: true, quick: true });
  await api.init();
  return { document: api.definition, operations: api.getOperations() as DocumentOperation[] };
}
