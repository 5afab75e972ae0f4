import type { Context } from 'koa';
import { unknownRequest } from '../errors/api-error.ts';
import type { Runtime } from '../runtime.ts';
import type { CompiledOperation } from './compiled-operation.ts';
import type { HandlerMap, Scope } from './operation.ts';
import { OperationRouter } from './operation-router.ts';
import { readDocumentBody } from './request-body.ts';
import type { RequestAuthenticator } from './request-authenticator.ts';
import { requestLogger, type RequestLogState } from './edge/request-logger.ts';
import { setBody } from './json-body.ts';
import { stringify as stringifyYaml } from 'yaml';

const noQuery = new URLSearchParams();
const yamlContentType = 'application/x-yaml';

type LooseRequest = { path: Record<string, unknown>; query: Record<string, unknown>; body: unknown };
type LooseResponse = { status: number; body?: unknown; headers?: Record<string, string>; contentType?: string };
type LooseHandler = (request: LooseRequest, scope: Scope) => Promise<LooseResponse>;

export type DispatcherOptions = {
  operations: readonly CompiledOperation[];
  handlers: HandlerMap;
  authenticator: RequestAuthenticator;
  runtime: Runtime;
};

/**
 * Routes a request to the handler named by its operationId: authenticates it if the operation is
 * secured, reads and validates query, path and body against the document, runs the handler and writes
 * what it returns. Unknown paths and methods are 404 CF-NotFound, before authentication.
 */
export function dispatcher(options: DispatcherOptions): (ctx: Context) => Promise<void> {
  const router = new OperationRouter(options.operations);
  const handlers = options.handlers as unknown as Record<string, LooseHandler>;
  const externalUrl = new URL(options.runtime.config.externalUrl);
  return async (ctx) => {
    const match = router.match(ctx.method, ctx.path);
    if (!match) throw unknownRequest();
    const { operation } = match;
    ctx.state['operationId'] = operation.operationId;
    const auth = operation.requiresAuthentication
      ? await options.authenticator.authenticate(ctx.get('Authorization') || undefined)
      : undefined;
    const query = operation.query.parse(ctx.querystring === '' ? noQuery : new URLSearchParams(ctx.querystring));
    const path = operation.typedPathParams(match.pathParams);
    const body = operation.body ? await readBody(operation, ctx) : undefined;
    const scope = new RequestScope({ auth, ctx, externalUrl, runtime: options.runtime });
    // Set before the handler runs, so error responses carry the warnings too.
    if (auth) for (const warning of await options.runtime.roleWarnings.warningsFor(auth.identity)) scope.warn(warning);
    const response = await handlers[operation.operationId]!({ path, query, body }, scope);
    writeResponse(ctx, response);
  };
}

async function readBody(operation: CompiledOperation, ctx: Context): Promise<unknown> {
  const spec = operation.body;
  if (!spec || spec.format === 'raw') return undefined;
  const body = await readDocumentBody(ctx.req, spec.format, spec.required);
  operation.validateBody(body);
  return body;
}

/**
 * The handler's scope; the logger and URL are built only if the handler reads them. A class with
 * prototype getters, not an object literal with getter closures: V8 allocates per-call accessor
 * closures in a way that doubled the server's CPU per request through garbage collection.
 */
class RequestScope implements Scope {
  readonly auth: Scope['auth'];
  readonly runtime: Runtime;
  readonly #ctx: Context;
  readonly #externalUrl: URL;
  #url: URL | undefined;
  readonly #warnings: string[] = [];

  constructor(parts: { auth: Scope['auth']; ctx: Context; externalUrl: URL; runtime: Runtime }) {
    this.auth = parts.auth;
    this.runtime = parts.runtime;
    this.#ctx = parts.ctx;
    this.#externalUrl = parts.externalUrl;
  }

  get log(): Scope['log'] {
    return requestLogger(this.#ctx.state['requestLog'] as RequestLogState);
  }

  get rawRequest(): Scope['rawRequest'] {
    return this.#ctx.req;
  }

  get requestUrl(): URL {
    this.#url ??= requestUrl(this.#externalUrl, this.#ctx);
    return this.#url;
  }

  /** The cf CLI splits the header on commas and URL-decodes each warning, so each is encoded. */
  warn(message: string): void {
    this.#warnings.push(encodeURIComponent(message));
    this.#ctx.set('X-Cf-Warnings', this.#warnings.join(','));
  }
}

function requestUrl(externalUrl: URL, ctx: Context): URL {
  const url = new URL(externalUrl.href);
  url.pathname = `${externalUrl.pathname.replace(/\/$/, '')}${ctx.path.replace(/(.)\/+$/, '$1')}`;
  url.search = ctx.querystring;
  return url;
}

function writeResponse(ctx: Context, response: LooseResponse): void {
  const headers = response.headers;
  if (headers !== undefined) for (const name of Object.keys(headers)) ctx.set(name, headers[name]!);
  if (response.body === undefined) {
    // Koa turns a null body into 204 unless the status is set after it (a 202 has no body either).
    ctx.body = null;
    ctx.status = response.status;
    return;
  }
  ctx.status = response.status;
  if (response.contentType === yamlContentType) {
    // A YAML body (an app's manifest) is written as YAML text, as Cloud Controller does.
    ctx.set('Content-Type', yamlContentType);
    ctx.body = stringifyYaml(response.body);
    return;
  }
  if (response.contentType) ctx.type = response.contentType;
  setBody(ctx, response.body);
}
