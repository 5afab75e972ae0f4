import fc from 'fast-check';
import type { ValidateFunction } from 'ajv';
import { loadDocument } from '../src/http/openapi-document.ts';
import type { HandlerMap } from '../src/http/operation.ts';
import { SchemaCompiler } from '../src/http/schema-compiler.ts';
import { ContractChecker } from '../test/support/contract.ts';
import { startPackageRegistry, storeRegistryCredentials } from '../test/support/package-registry.ts';
import { startTestServer } from '../test/support/test-server.ts';
import { WireClient, type WireRequest, type WireResponse } from './http-client.ts';
import { invalidRequest, validRequest, type FuzzRequest } from './requests.ts';
import { digestDifference, sameDigest } from './store-digest.ts';
import { World } from './world.ts';

export type Backend = 'embedded' | 'kubernetes';

export type FuzzOptions = {
  backend: Backend;
  seed: number;
  /** Requests to send (the batches' requests; setup, liveness probes and upkeep are counted apart). */
  budget: number;
  /** fast-check's replay path of a counterexample (with the seed it was found with). */
  path?: string;
  /** Where progress lines go (stderr by default). */
  log?: (line: string) => void;
  /** How long shrinking a failure may take before the best counterexample so far is reported. */
  shrinkSeconds?: number;
  /** Handlers in place of the server's own (the fuzzer's own test plants a bug this way). */
  handlers?: HandlerMap;
};

export type Figures = {
  backend: Backend;
  requests: number;
  byStatusClass: Record<string, number>;
  fiveHundreds: number;
  byIntent: Record<string, number>;
  operations: number;
  operationsTotal: number;
  storeChecks: number;
  storeCheckRetries: number;
  setupRequests: number;
  durationMs: number;
  startMs: number;
};

export type FuzzResult = { figures: Figures; failure?: string };

type Batch = { valid: FuzzRequest[]; invalid: FuzzRequest[] };

/** A problem found: the message names the request exactly as it was sent. */
class FuzzFailure extends Error {}

const trace = process.env['FUZZ_TRACE'] === '1';

/**
 * Runs the spec-driven fuzzer against a fresh real server of one backend: fast-check generates batches
 * of valid and invalid requests from the OpenAPI document; each response is checked (no 5xx, errors in
 * CF's envelope and declared by the document, the whole response against the document), the server must
 * keep answering, and a batch of requests that were all refused must leave the store as it was.
 */
export async function fuzzBackend(options: FuzzOptions): Promise<FuzzResult> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const started = performance.now();
  const { document, operations } = await loadDocument();
  const contract = await ContractChecker.load();
  const errorsSchema = (document.components?.schemas as Record<string, Record<string, unknown>>)['Errors']!;
  // On kubernetes, package bits go to a container registry: a real one (TLS, basic auth), as the
  // package suites use, or every valid upload would be a 502 (no registry configured).
  const registry = options.backend === 'kubernetes' ? await startPackageRegistry() : undefined;
  const server = await startTestServer({
    backend: options.backend,
    config: { appRuntime: 'scripted', logLevel: 'warn', ...(registry ? { containerRegistry: registry.config } : {}) },
    ...(options.handlers ? { handlers: options.handlers } : {}),
  });
  if (registry) await storeRegistryCredentials(server, registry.registry);
  const client = new WireClient(server.url);
  const world = new World(server, client);
  try {
    await world.setUp();
    const run = new FuzzRun(options, {
      log,
      started,
      world,
      client,
      contract,
      validateErrors: new SchemaCompiler().compile(errorsSchema),
      operationsTotal: operations.length,
    });
    log(
      `[fuzz ${options.backend}] server and fixtures ready in ${(run.figures.startMs / 1000).toFixed(1)} s; ${operations.length} operations`,
    );
    const typed = operations as unknown as Parameters<typeof validRequest>[0][];
    const batches: fc.Arbitrary<Batch> = fc.record({
      valid: fc.array(fc.oneof(...typed.map((operation) => validRequest(operation))), { minLength: 0, maxLength: 12 }),
      invalid: fc.array(fc.oneof(...typed.map((operation) => invalidRequest(operation))), { minLength: 1, maxLength: 12 }),
    });
    return await run.run(batches);
  } finally {
    client.close();
    await server.stop();
    await registry?.stop();
  }
}

/** One backend's run: sends the batches fast-check generates, checks every answer, keeps the figures. */
class FuzzRun {
  readonly figures: Figures;
  readonly #options: FuzzOptions;
  readonly #log: (line: string) => void;
  readonly #started: number;
  readonly #world: World;
  readonly #client: WireClient;
  readonly #contract: ContractChecker;
  readonly #validateErrors: ValidateFunction;
  readonly #operations = new Set<string>();
  readonly #timings = new Map<string, number>();
  #lastFailure: string | undefined;
  #shrinkingSince: number | undefined;
  #batches = 0;

  constructor(
    options: FuzzOptions,
    parts: {
      log: (line: string) => void;
      started: number;
      world: World;
      client: WireClient;
      contract: ContractChecker;
      validateErrors: ValidateFunction;
      operationsTotal: number;
    },
  ) {
    const { log, started, world, client, contract, validateErrors, operationsTotal } = parts;
    this.#options = options;
    this.#log = log;
    this.#started = started;
    this.#world = world;
    this.#client = client;
    this.#contract = contract;
    this.#validateErrors = validateErrors;
    this.figures = {
      backend: options.backend,
      requests: 0,
      byStatusClass: {},
      fiveHundreds: 0,
      byIntent: {},
      operations: 0,
      operationsTotal,
      storeChecks: 0,
      storeCheckRetries: 0,
      setupRequests: 0,
      durationMs: 0,
      startMs: performance.now() - started,
    };
  }

  async run(batches: fc.Arbitrary<Batch>): Promise<FuzzResult> {
    const property = fc.asyncProperty(batches, (batch) => this.#property(batch));
    const path = this.#options.path;
    // Rounds of fast-check runs until the budget is spent: a run sends about ten requests, so each round
    // asks for what is left divided by ten (each round's seed is the previous one plus one; a failure
    // names its round's seed). Generating runs that would only be skipped costs about as much as sending them.
    let details: fc.RunDetails<[Batch]>;
    let round = 0;
    do {
      const left = this.#options.budget - this.figures.requests;
      details = await fc.check(property, {
        seed: this.#options.seed + round,
        numRuns: path ? Number(path.split(':')[0]) + 1 : Math.max(1, Math.ceil(left / 10)),
        ...(path ? { path } : {}),
        endOnFailure: false,
      });
      round++;
    } while (!details.failed && !path && this.figures.requests < this.#options.budget);
    this.figures.operations = this.#operations.size;
    this.figures.setupRequests += this.#world.setupRequests;
    this.figures.durationMs = performance.now() - this.#started;
    if (trace) {
      const top = [...this.#timings].sort((a, b) => b[1] - a[1]).slice(0, 15);
      this.#log(
        `time per operation (ms): ${top.map(([id, ms]) => `${id} ${Math.round(ms)}`).join(', ')}; digests ${Math.round(this.#world.digestMs)}`,
      );
    }
    if (!details.failed) return { figures: this.figures };
    const where = `--seed ${details.seed} --path "${details.counterexamplePath ?? ''}"`;
    const failure = [
      `Fuzzing the ${this.#options.backend} backend failed (seed ${details.seed}, path ${details.counterexamplePath ?? '?'}, shrunk ${details.numShrinks} times).`,
      `Replay: npm run fuzz -- --backend ${this.#options.backend} ${where}`,
      `Counterexample (fast-check, requests before GUIDs are resolved):`,
      JSON.stringify(details.counterexample?.[0], null, 1).slice(0, 20_000),
      `The failing request(s), exactly as sent:`,
      this.#lastFailure ?? String(details.errorInstance),
    ].join('\n');
    return { figures: this.figures, failure };
  }

  async #property(batch: Batch): Promise<boolean> {
    const shrinkLimitMs = (this.#options.shrinkSeconds ?? 60) * 1000;
    if (this.#shrinkingSince !== undefined && performance.now() - this.#shrinkingSince > shrinkLimitMs) return true;
    if (this.#shrinkingSince === undefined && this.figures.requests >= this.#options.budget) return true;
    try {
      await this.#batch(batch);
      return true;
    } catch (error) {
      this.#shrinkingSince ??= performance.now();
      this.#lastFailure = error instanceof FuzzFailure ? error.message : `${(error as Error).stack ?? String(error)}`;
      throw error;
    }
  }

  async #batch(batch: Batch): Promise<void> {
    this.#batches++;
    if (this.#batches % 25 === 0) {
      await this.#world.maintain();
      this.#log(
        `[fuzz ${this.#options.backend}] ${this.figures.requests} requests, ${((performance.now() - this.#started) / 1000).toFixed(0)} s`,
      );
    }
    for (const request of batch.valid) await this.#send(request);
    await this.#refusedLeaveStoreAlone(batch.invalid);
    const alive = await this.#client.send({ method: 'GET', path: '/v3/info', headers: {} }, 10_000).catch((error: Error) => error);
    this.figures.setupRequests++;
    if (alive instanceof Error || alive.status !== 200) {
      throw new FuzzFailure(
        `the server stopped answering GET /v3/info after this batch: ${alive instanceof Error ? alive.message : alive.status}`,
      );
    }
  }

  /**
   * Sends the invalid requests between two digests of the store; when all of them were refused, the
   * digests must agree. The reconcilers may still have been at work on the valid requests before, so a
   * difference is checked again: once the store has settled, the same requests are sent again and must
   * then change nothing.
   */
  async #refusedLeaveStoreAlone(requests: FuzzRequest[]): Promise<void> {
    const before = await this.#world.digest();
    const responses: WireResponse[] = [];
    for (const request of requests) responses.push(await this.#send(request));
    if (!responses.every((response) => response.status >= 400)) return;
    this.figures.storeChecks++;
    if (sameDigest(before, await this.#world.digest())) return;
    this.figures.storeCheckRetries++;
    const settled = await this.#world.settledDigest();
    for (const request of requests) await this.#send(request);
    const again = await this.#world.digest();
    if (sameDigest(settled, again)) return;
    const described = requests.map((request) => describe(request, this.#world.wire(request))).join('\n');
    throw new FuzzFailure(
      `requests that were all refused changed the store:\n  ${digestDifference(settled, again).join('\n  ')}\n${described}`,
    );
  }

  async #send(request: FuzzRequest): Promise<WireResponse> {
    const wire = this.#world.wire(request);
    if (trace) this.#log(`  ${request.operationId} ${request.intent} ${request.mutation} ${wire.method} ${wire.path.slice(0, 120)}`);
    const sentAt = performance.now();
    const response = await this.#client.send(wire).catch((error: Error) => {
      throw new FuzzFailure(`no answer: ${error.message}\n${describe(request, wire)}`);
    });
    this.#timings.set(request.operationId, (this.#timings.get(request.operationId) ?? 0) + performance.now() - sentAt);
    this.#count(request, response);
    const problems = this.#problems(request, wire, response);
    if (problems.length > 0) throw new FuzzFailure(`${problems.join('\n')}\n${describe(request, wire, response)}`);
    this.#world.harvest(response);
    return response;
  }

  #count(request: FuzzRequest, response: WireResponse): void {
    const figures = this.figures;
    figures.requests++;
    this.#operations.add(request.operationId);
    const statusClass = `${Math.floor(response.status / 100)}xx`;
    figures.byStatusClass[statusClass] = (figures.byStatusClass[statusClass] ?? 0) + 1;
    figures.byIntent[request.intent] = (figures.byIntent[request.intent] ?? 0) + 1;
    if (response.status >= 500) figures.fiveHundreds++;
  }

  /** What is wrong with the answer: a 5xx, an error outside CF's envelope, an invalid request accepted, a break of the document. */
  #problems(request: FuzzRequest, wire: WireRequest, response: WireResponse): string[] {
    const problems: string[] = [];
    if (response.status >= 500) problems.push(`status ${response.status} (a server error)`);
    if (response.status >= 400 && !this.#validateErrors(response.body))
      problems.push(`an error that is not a CF error envelope: ${response.text.slice(0, 500)}`);
    if (request.intent === 'invalid' && response.status < 400)
      problems.push(`status ${response.status} for a request the document refuses (${request.mutation})`);
    try {
      const path = wire.path.split('?')[0]!;
      problems.push(
        ...this.#contract.check({ method: request.method, path, status: response.status, headers: response.headers, body: response.body }),
      );
    } catch (error) {
      problems.push(`the contract checker failed on this response: ${(error as Error).message}`);
    }
    return problems;
  }
}

const shorten = (text: string, limit: number) => (text.length > limit ? `${text.slice(0, limit / 2)}…(${text.length} chars)` : text);

/** A request as it was sent, in a form that can be replayed (curl against $CF_API). */
export function describe(request: FuzzRequest, wire: WireRequest, response?: WireResponse): string {
  const headers = Object.entries(wire.headers).map(([name, value]) => `-H '${name}: ${shorten(value, 200)}'`);
  let body = '';
  if (wire.body && request.body?.kind === 'bytes') body = ` --data-binary @<(echo ${wire.body.toString('base64')} | base64 -d)`;
  else if (wire.body) body = ` --data-binary '${shorten(wire.body.toString('utf8'), 600)}'`;
  const lines = [
    `  ${request.operationId} (${request.intent}${request.mutation ? `: ${request.mutation}` : ''})`,
    `  curl -X ${wire.method} ${headers.join(' ')}${body} "$CF_API${shorten(wire.path, 600)}"`,
  ];
  if (response) lines.push(`  → ${response.status} ${response.text.slice(0, 800)}`);
  return lines.join('\n');
}
