import createClient, { type Client, type FetchResponse, type MaybeOptionalInit } from 'openapi-fetch';
import type { HttpMethod, PathsWithMethod, RequiredKeysOf } from 'openapi-typescript-helpers';
import { authorizationHeader, type Credentials } from './auth.ts';
import { CfApiError, CfJobFailedError, CfJobTimeoutError, parseWarnings, type CfJob } from './errors.ts';
import type { paths } from './generated/schema.ts';
import { serializeCfQuery } from './query.ts';
import { createTransport, sleep, type RetryOptions, type Warning } from './transport.ts';

export type { paths };

export type CfClientOptions = {
  /** The API's root URL, e.g. `http://127.0.0.1:8080` (what `cf api` targets). */
  baseUrl: string;
  /**
   * Credentials (see `credentialsFromKubeconfig`), or a function asked before each request (to refresh
   * a token). Omit it for the unauthenticated endpoints only (`/`, `/v3`, `/v3/info`).
   */
  auth?: Credentials | (() => Credentials | Promise<Credentials>);
  /** Called once per warning of a response's `X-Cf-Warnings`, errors included. */
  onWarning?: (warning: Warning) => void;
  /** Retries on 503 for GET, HEAD, OPTIONS, PUT and DELETE (never POST or PATCH). */
  retry?: RetryOptions;
  /** Default: `cf-k8s-api-sdk/<version>`. */
  userAgent?: string;
  /** Another fetch (undici's with its own Agent, for a private CA, say). Default: the global fetch. */
  fetch?: (request: Request) => Promise<Response>;
};

type Paths = paths;
type InitParam<Init> = RequiredKeysOf<Init> extends never ? [(Init & { [key: string]: unknown })?] : [Init & { [key: string]: unknown }];
type NoneIfNever<T> = [T] extends [never] ? undefined : T;

/** What a successful call gives: the parsed body (undefined for a body-less 202 or 204), the response and its warnings. */
export type CfResult<Data> = { data: Data; response: Response; warnings: string[] };

/** The 2xx body of an operation, as the OpenAPI document declares it. */
export type SuccessData<Operation extends Record<string | number, unknown>, Init = object> = NoneIfNever<
  NonNullable<FetchResponse<Operation, Init, `${string}/${string}`>['data']>
>;

export type CfMethod<Method extends HttpMethod> = <
  Path extends PathsWithMethod<Paths, Method>,
  Init extends MaybeOptionalInit<Paths[Path], Method>,
>(
  path: Path,
  ...init: InitParam<Init>
) => Promise<CfResult<SuccessData<Paths[Path][Method] & Record<string | number, unknown>, Init>>>;

type GetData<Path extends PathsWithMethod<Paths, 'get'>> = SuccessData<Paths[Path]['get'] & Record<string | number, unknown>>;

/** The GET operations that answer a page: `{pagination, resources}`. */
export type ListPath = {
  [Path in PathsWithMethod<Paths, 'get'>]: GetData<Path> extends { pagination: unknown; resources: readonly unknown[] } ? Path : never;
}[PathsWithMethod<Paths, 'get'>];

export type ListPage<Path extends ListPath> = GetData<Path>;
export type ListResource<Path extends ListPath> = ListPage<Path> extends { resources: readonly (infer Item)[] } ? Item : never;

export type WaitForJobOptions = {
  signal?: AbortSignal;
  /** Give up after this long with a `CfJobTimeoutError`. Default 5 minutes. */
  timeoutMs?: number;
  /** Between polls. Default 500 ms. */
  pollIntervalMs?: number;
};

const version = '0.1.0';

/**
 * A client of the API. `GET`, `POST`, `PUT`, `PATCH` and `DELETE` take a path of the OpenAPI document
 * and its typed `params` (`path`, `query`) and `body`, and resolve to the typed 2xx body; any other
 * status rejects with a `CfApiError`. Every call takes `signal` to abort it.
 */
export class CfClient {
  /** The openapi-fetch client underneath (credentials, retries and warnings included), for `{data, error}` style calls. */
  readonly raw: Client<Paths>;
  readonly GET: CfMethod<'get'>;
  readonly POST: CfMethod<'post'>;
  readonly PUT: CfMethod<'put'>;
  readonly PATCH: CfMethod<'patch'>;
  readonly DELETE: CfMethod<'delete'>;

  constructor(options: CfClientOptions) {
    const auth = options.auth;
    const transport = createTransport({
      authorization: auth === undefined ? undefined : async () => authorizationHeader(typeof auth === 'function' ? await auth() : auth),
      userAgent: options.userAgent ?? `cf-k8s-api-sdk/${version}`,
      retry: { retries: 3, initialDelayMs: 250, maxDelayMs: 10_000, ...options.retry },
      onWarning: options.onWarning,
      fetch: options.fetch ?? ((request) => globalThis.fetch(request)),
    });
    this.raw = createClient<Paths>({ baseUrl: options.baseUrl, fetch: transport, querySerializer: serializeCfQuery });
    this.GET = this.#method('GET') as CfMethod<'get'>;
    this.POST = this.#method('POST') as CfMethod<'post'>;
    this.PUT = this.#method('PUT') as CfMethod<'put'>;
    this.PATCH = this.#method('PATCH') as CfMethod<'patch'>;
    this.DELETE = this.#method('DELETE') as CfMethod<'delete'>;
  }

  #method(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE') {
    const call = this.raw[method] as (path: string, init?: object) => Promise<{ data?: unknown; error?: unknown; response: Response }>;
    return async (path: string, init?: object): Promise<CfResult<unknown>> => {
      const { data, error, response } = await call(path, init);
      if (!response.ok) throw CfApiError.fromResponse({ method, url: response.url || path }, response, error);
      return { data, response, warnings: parseWarnings(response.headers) };
    };
  }

  /**
   * Every page of a list, following `pagination.next` until it is null: the query of the first request
   * is kept and only `page` (and `per_page`, if the link changes it) is taken from each next link, so
   * the pages come from this client's `baseUrl` whatever external URL the server puts in its links.
   */
  async *pages<Path extends ListPath>(
    path: Path,
    ...init: InitParam<MaybeOptionalInit<Paths[Path], 'get'>>
  ): AsyncGenerator<ListPage<Path>> {
    const first = (init[0] ?? {}) as { params?: { query?: Record<string, unknown> } };
    let query: Record<string, unknown> = { ...first.params?.query };
    for (let seen = 0; ; seen++) {
      const { data } = await this.GET(path, { ...first, params: { ...first.params, query } } as never);
      const page = data as unknown as ListPage<Path> & { pagination: { next: { href: string } | null } };
      yield page as ListPage<Path>;
      const next = page.pagination.next;
      if (!next) return;
      const link = new URL(next.href).searchParams;
      const nextPage = Number(link.get('page'));
      const currentPage = Number(query['page'] ?? 1);
      if (!Number.isInteger(nextPage) || nextPage <= currentPage)
        throw new Error(`${path}: the next link ${next.href} does not move forward`);
      const perPage = link.get('per_page');
      query = { ...query, page: nextPage, ...(perPage ? { per_page: Number(perPage) } : {}) };
      if (seen > 1_000_000) throw new Error(`${path}: more than a million pages`);
    }
  }

  /** Every resource of every page of a list, one at a time. */
  async *resources<Path extends ListPath>(
    path: Path,
    ...init: InitParam<MaybeOptionalInit<Paths[Path], 'get'>>
  ): AsyncGenerator<ListResource<Path>> {
    for await (const page of this.pages(path, ...init)) {
      yield* (page as { resources: ListResource<Path>[] }).resources;
    }
  }

  /**
   * Waits for the job of an asynchronous operation (a delete's 202, a manifest apply): reads the job
   * GUID from the `Location` header (of a response, or a result of this client, or a job URL), polls
   * `GET /v3/jobs/{guid}` and resolves with the job once COMPLETE; FAILED rejects with a
   * `CfJobFailedError` carrying the job's CF errors, a timeout with `CfJobTimeoutError`, an abort with
   * the signal's reason.
   */
  async waitForJob(from: Response | { response: Response } | string, options: WaitForJobOptions = {}): Promise<CfJob> {
    const { location, guid } = jobOf(from);
    const timeoutMs = options.timeoutMs ?? 300_000;
    const deadline = Date.now() + timeoutMs;
    const signal = options.signal ?? null;
    for (;;) {
      const { data: job } = await this.GET('/v3/jobs/{guid}', { params: { path: { guid } }, signal });
      if (job.state === 'COMPLETE') return job;
      if (job.state === 'FAILED') throw new CfJobFailedError(job, location);
      const left = deadline - Date.now();
      if (left <= 0) throw new CfJobTimeoutError(guid, timeoutMs, job);
      await sleep(Math.min(options.pollIntervalMs ?? 500, left), options.signal);
    }
  }

  /**
   * Uploads a package's bits as the cf CLI does (multipart: `resources`, then the `bits` zip) and
   * resolves with the package. `bits` can be a Blob from `fs.openAsBlob(path)`, read as it is sent.
   */
  async uploadPackageBits(
    guid: string,
    bits: Blob | Uint8Array<ArrayBuffer>,
    options: { resources?: readonly Record<string, unknown>[]; signal?: AbortSignal } = {},
  ): Promise<CfResult<SuccessData<Paths['/v3/packages/{guid}/upload']['post']>>> {
    const form = new FormData();
    if (options.resources) form.append('resources', JSON.stringify(options.resources));
    form.append('bits', bits instanceof Blob ? bits : new Blob([bits], { type: 'application/zip' }), 'bits.zip');
    return this.POST('/v3/packages/{guid}/upload', {
      params: { path: { guid } },
      body: form,
      bodySerializer: (body: unknown) => body,
      signal: options.signal ?? null,
    });
  }
}

/** The job URL and GUID an asynchronous operation's `Location` names. */
function jobOf(from: Response | { response: Response } | string): { location: string; guid: string } {
  const location = typeof from === 'string' ? from : ('response' in from ? from.response : from).headers.get('location');
  const guid = location ? /\/v3\/jobs\/([^/?#]+)/.exec(location)?.[1] : undefined;
  if (!location || !guid) throw new Error(`no job to wait for: the Location is ${location === null ? 'missing' : `"${location}"`}`);
  return { location, guid: decodeURIComponent(guid) };
}

/** A client of the API at `options.baseUrl`; see `CfClient`. */
export function createCfClient(options: CfClientOptions): CfClient {
  return new CfClient(options);
}
