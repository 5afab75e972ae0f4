/** What the router needs to know of an operation. */
export type RoutableOperation = { operationId: string; method: string; path: string };

export type RouteMatch<T extends RoutableOperation> = { operation: T; pathParams: Record<string, string> };

type TemplateRoute<T> = { pattern: RegExp; names: string[]; specificity: number; byMethod: Map<string, T> };

/**
 * Matches a method and path to an operation of the document. Routes are compiled once: literal paths in
 * a map, templated paths as regular expressions tried from the most literal to the least (openapi-backend's
 * own matcher rebuilds its operation list and regexes on every request). Trailing slashes are ignored,
 * and a path that exists with another method is no match, as in Korifi.
 */
export class OperationRouter<T extends RoutableOperation> {
  readonly #literal = new Map<string, Map<string, T>>();
  readonly #templates: TemplateRoute<T>[] = [];

  constructor(operations: Iterable<T>) {
    const templates = new Map<string, TemplateRoute<T>>();
    for (const operation of operations) {
      const method = operation.method.toUpperCase();
      if (!operation.path.includes('{')) {
        this.#methodsFor(this.#literal, operation.path).set(method, operation);
        continue;
      }
      let route = templates.get(operation.path);
      if (!route) {
        route = compileTemplate<T>(operation.path);
        templates.set(operation.path, route);
      }
      route.byMethod.set(method, operation);
    }
    this.#templates = [...templates.values()].sort((a, b) => b.specificity - a.specificity);
  }

  match(method: string, rawPath: string): RouteMatch<T> | undefined {
    const path = normalize(rawPath);
    const upper = method.toUpperCase();
    const literal = this.#literal.get(path)?.get(upper);
    if (literal) return { operation: literal, pathParams: {} };
    for (const route of this.#templates) {
      const found = route.pattern.exec(path);
      if (!found) continue;
      const operation = route.byMethod.get(upper);
      if (!operation) continue;
      const pathParams = decodeParams(route.names, found.slice(1));
      return pathParams ? { operation, pathParams } : undefined;
    }
    return undefined;
  }

  #methodsFor(table: Map<string, Map<string, T>>, path: string): Map<string, T> {
    let methods = table.get(path);
    if (!methods) {
      methods = new Map();
      table.set(path, methods);
    }
    return methods;
  }
}

function compileTemplate<T>(template: string): TemplateRoute<T> {
  const names: string[] = [];
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      if (part.startsWith('{')) {
        names.push(part.slice(1, -1));
        return '([^/]+)';
      }
      return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('');
  return { pattern: new RegExp(`^${source}$`), names, specificity: template.replace(/\{[^}]+\}/g, '').length, byMethod: new Map() };
}

function normalize(path: string): string {
  let end = path.length;
  while (end > 1 && path[end - 1] === '/') end -= 1;
  return end === path.length ? path : path.slice(0, end);
}

function decodeParams(names: string[], values: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  try {
    names.forEach((name, index) => {
      params[name] = decodeURIComponent(values[index]!);
    });
  } catch {
    return undefined;
  }
  return params;
}
