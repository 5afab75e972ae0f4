/** What the router needs to know of an operation. */
export type RoutableOperation = { operationId: string; method: string; path: string };

export type RouteMatch<T extends RoutableOperation> = { operation: T; pathParams: Record<string, string> };

type TemplateRoute<T> = {
  pattern: RegExp;
  names: string[];
  specificity: number;
  byMethod: Map<string, T>;
  /** How many `/`-separated segments a matching path has, and the literal third one (`apps` of `/v3/apps/{guid}`) if it is literal. */
  segments: number;
  resource: string | undefined;
};

/**
 * Matches a method and path to an operation of the document. Routes are compiled once: literal paths in
 * a map, templated paths as regular expressions tried from the most literal to the least (openapi-backend's
 * own matcher rebuilds its operation list and regexes on every request). Trailing slashes are ignored,
 * and a path that exists with another method is no match, as in Korifi.
 */
export class OperationRouter<T extends RoutableOperation> {
  readonly #literal = new Map<string, Map<string, T>>();
  /**
   * The templates a path could match, from the most literal to the least, by its segment count and
   * third segment (a template's parameter matches exactly one segment): each list keeps the order of
   * trying every template, without the ones that cannot match.
   */
  readonly #candidates = new Map<string, TemplateRoute<T>[]>();
  /** The same by segment count alone, for a third segment no template has literally. */
  readonly #candidatesByCount = new Map<number, TemplateRoute<T>[]>();

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
    const sorted = [...templates.values()].sort((a, b) => b.specificity - a.specificity);
    for (const route of sorted) {
      const key = candidatesKey(route.segments, route.resource);
      if (route.resource !== undefined && !this.#candidates.has(key)) {
        this.#candidates.set(
          key,
          sorted.filter(
            (other) => other.segments === route.segments && (other.resource === undefined || other.resource === route.resource),
          ),
        );
      }
      if (!this.#candidatesByCount.has(route.segments)) {
        this.#candidatesByCount.set(
          route.segments,
          sorted.filter((other) => other.segments === route.segments && other.resource === undefined),
        );
      }
    }
  }

  match(method: string, rawPath: string): RouteMatch<T> | undefined {
    const path = normalize(rawPath);
    const upper = method.toUpperCase();
    const literal = this.#literal.get(path)?.get(upper);
    if (literal) return { operation: literal, pathParams: {} };
    const { count, third } = segmentsOf(path);
    const candidates = this.#candidates.get(candidatesKey(count, third)) ?? this.#candidatesByCount.get(count) ?? [];
    for (const route of candidates) {
      const found = route.pattern.exec(path);
      if (!found) continue;
      const operation = route.byMethod.get(upper);
      if (!operation) continue;
      const pathParams = decodeParams(route.names, found);
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

const candidatesKey = (segments: number, resource: string | undefined): string => `${segments}/${resource}`;

/** How many `/`-separated parts a path has, and its third (the resource of `/v3/<resource>/…`). */
function segmentsOf(path: string): { count: number; third: string | undefined } {
  let count = 1;
  let thirdStart = -1;
  let thirdEnd = path.length;
  for (let index = 0; index < path.length; index++) {
    if (path.charCodeAt(index) !== 47) continue;
    count += 1;
    if (count === 3) thirdStart = index + 1;
    else if (count === 4) thirdEnd = index;
  }
  return { count, third: thirdStart === -1 ? undefined : path.slice(thirdStart, thirdEnd) };
}

function compileTemplate<T>(template: string): TemplateRoute<T> {
  const parts = template.split('/');
  const third = parts[2];
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
  return {
    pattern: new RegExp(`^${source}$`),
    names,
    specificity: template.replace(/\{[^}]+\}/g, '').length,
    byMethod: new Map(),
    segments: parts.length,
    resource: third === undefined || third.includes('{') ? undefined : third,
  };
}

function normalize(path: string): string {
  let end = path.length;
  while (end > 1 && path[end - 1] === '/') end -= 1;
  return end === path.length ? path : path.slice(0, end);
}

/** The parameters of a match (`groups[1]` is the first), decoded; undefined when one is not valid percent-encoding. */
function decodeParams(names: readonly string[], groups: RegExpExecArray): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  try {
    for (let index = 0; index < names.length; index++) params[names[index]!] = decodeURIComponent(groups[index + 1]!);
  } catch {
    return undefined;
  }
  return params;
}
