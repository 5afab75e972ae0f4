import { expect } from 'chai';
import { loadDocument } from '../../../src/http/openapi-document.ts';
import { OperationRouter, type RoutableOperation } from '../../../src/http/operation-router.ts';

type Operation = RoutableOperation;

/**
 * What the router must answer, written the plain way: literal paths first, then every template from the
 * most literal to the least, the first that matches the path and has the method (the router only tries
 * the templates a path could match).
 */
function referenceMatch(operations: readonly Operation[], method: string, rawPath: string) {
  const path = rawPath.length > 1 ? rawPath.replace(/(.)\/+$/, '$1') : rawPath;
  const upper = method.toUpperCase();
  const literal = operations.find((operation) => operation.path === path && operation.method.toUpperCase() === upper);
  if (literal) return { operationId: literal.operationId, pathParams: {} };
  const templates = [...new Set(operations.filter((operation) => operation.path.includes('{')).map((operation) => operation.path))].sort(
    (a, b) => b.replace(/\{[^}]+\}/g, '').length - a.replace(/\{[^}]+\}/g, '').length,
  );
  for (const template of templates) {
    const names = [...template.matchAll(/\{([^}]+)\}/g)].map((found) => found[1]!);
    const source = template
      .split(/\{[^}]+\}/)
      .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('([^/]+)');
    const found = new RegExp(`^${source}$`).exec(path);
    if (!found) continue;
    const operation = operations.find((candidate) => candidate.path === template && candidate.method.toUpperCase() === upper);
    if (!operation) continue;
    try {
      return {
        operationId: operation.operationId,
        pathParams: Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(found[i + 1]!)])),
      };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

describe('OperationRouter', () => {
  let operations: Operation[];
  let router: OperationRouter<Operation>;

  before(async () => {
    operations = (await loadDocument()).operations.map(({ operationId, method, path }) => ({ operationId: operationId!, method, path }));
    router = new OperationRouter(operations);
  });

  const answer = (method: string, path: string) => {
    const match = router.match(method, path);
    return match && { operationId: match.operation.operationId, pathParams: match.pathParams };
  };

  it('routes every operation of the document, with its parameters', () => {
    for (const operation of operations) {
      const path = operation.path.replace(/\{([^}]+)\}/g, (_, name: string) => `value-of-${name}`);
      const expected = referenceMatch(operations, operation.method, path);
      expect(expected?.operationId, `${operation.method} ${operation.path}`).to.equal(operation.operationId);
      expect(answer(operation.method, path), `${operation.method} ${path}`).to.deep.equal(expected);
    }
  });

  it('answers as trying every template would, for paths near the document’s and far from it', () => {
    const variations = (template: string): string[] => {
      const filled = template.replace(/\{[^}]+\}/g, 'x');
      const segments = filled.split('/');
      return [
        filled,
        `${filled}/`,
        `${filled}//`,
        `${filled}/extra`,
        segments.slice(0, -1).join('/') || '/',
        filled.replace('/v3/', '/v3//'),
        filled.replace(/\/x(\/|$)/, '/a%2Fb$1'),
        filled.replace(/\/x(\/|$)/, '/%E0%A4%A$1'),
        filled.replace(/\/x(\/|$)/, '/actions$1'),
        filled.replace(/^\/v3\/[^/]+/, '/v3/unknown'),
        segments.length > 3 ? [...segments.slice(0, 3), 'x', ...segments.slice(4)].join('/') : filled,
      ];
    };
    const paths = new Set(['/', '', '//', '/v3', '/v3/', '/v3/x', '/x/y/z', '/v3/apps/x/y/z/w/v', '/api/v1/info']);
    for (const operation of operations) for (const path of variations(operation.path)) paths.add(path);
    let compared = 0;
    for (const path of paths) {
      for (const method of ['GET', 'post', 'PATCH', 'DELETE', 'PUT', 'HEAD']) {
        expect(answer(method, path), `${method} ${path}`).to.deep.equal(referenceMatch(operations, method, path));
        compared += 1;
      }
    }
    expect(compared).to.be.greaterThan(1000);
  });
});
