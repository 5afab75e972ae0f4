import { readFile } from 'node:fs/promises';
import type { Document } from 'openapi-backend';
import type { DocumentOperation } from './compiled-operation.ts';

/** The bundled OpenAPI document, generated from `openapi/` by `npm run generate`. */
export const documentUrl = new URL('../../generated/openapi.json', import.meta.url);

export type LoadedDocument = { document: Document; operations: DocumentOperation[] };

/** The HTTP methods a path item may declare, in the order its operations are listed. */
const methods = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/**
 * Loads the bundled document, dereferences it and lists its operations with path-level parameters and
 * global security merged in. Redocly's bundle (`npm run generate`) has only local references
 * (`#/components/...`), so resolving them in the parsed JSON is all it takes; no OpenAPI library is
 * loaded at start (one cost the start-up about 130 ms and 23 MB). `redocly lint` checks the document
 * in `npm test`.
 */
export async function loadDocument(url: URL = documentUrl): Promise<LoadedDocument> {
  const document = dereference(JSON.parse(await readFile(url, 'utf8')) as Record<string, unknown>) as Document;
  return { document, operations: operationsOf(document) };
}

/**
 * Replaces every `{ $ref: '#/…' }` object by the object its JSON pointer names, in place, so that one
 * component is one shared object wherever it is used (recursive schemas become cycles). Siblings of
 * `$ref` are dropped, as OpenAPI 3.0 tools do.
 */
export function dereference(root: Record<string, unknown>): Record<string, unknown> {
  const visited = new Set<object>();
  const resolve = (node: unknown): unknown => {
    if (typeof node !== 'object' || node === null || visited.has(node)) return node;
    visited.add(node);
    if (Array.isArray(node)) {
      for (let index = 0; index < node.length; index++) node[index] = resolve(node[index]);
      return node;
    }
    const object = node as Record<string, unknown>;
    const ref = object['$ref'];
    if (typeof ref === 'string') return target(root, ref);
    for (const key of Object.keys(object)) object[key] = resolve(object[key]);
    return object;
  };
  return resolve(root) as Record<string, unknown>;
}

/** The object a local reference names (`#/a/b~1c`), or an error naming the reference. */
function target(root: Record<string, unknown>, ref: string): unknown {
  if (!ref.startsWith('#/')) throw new Error(`Only local references are supported in the bundled document: ${ref}`);
  let current: unknown = root;
  for (const segment of ref.slice(2).split('/')) {
    const key = decodeURIComponent(segment).replaceAll('~1', '/').replaceAll('~0', '~');
    current = typeof current === 'object' && current !== null ? (current as Record<string, unknown>)[key] : undefined;
    if (current === undefined) throw new Error(`The bundled document has no ${ref}`);
  }
  return current;
}

type PathItem = Partial<Record<(typeof methods)[number], Omit<DocumentOperation, 'method' | 'path'>>> & { parameters?: unknown[] };

/** Every operation, path by path: its own parameters then the path item's, its security or the document's. */
function operationsOf(document: Document): DocumentOperation[] {
  const paths = (document.paths ?? {}) as Record<string, PathItem>;
  const security = (document.security ?? []) as Record<string, unknown>[];
  return Object.entries(paths).flatMap(([path, item]) =>
    methods.flatMap((method) => {
      const operation = item[method];
      if (operation === undefined) return [];
      return [
        {
          ...operation,
          path,
          method,
          parameters: [...(operation.parameters ?? []), ...(item.parameters ?? [])],
          security: operation.security ?? security,
        },
      ];
    }),
  );
}
