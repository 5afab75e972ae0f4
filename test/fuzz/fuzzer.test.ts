import { expect } from 'chai';
import { fuzzBackend } from '../../fuzz/fuzzer.ts';
import { handlers } from '../../src/handlers/index.ts';
import type { HandlerMap, Scope } from '../../src/http/operation.ts';

/**
 * The fuzzer's machinery (`npm run fuzz`), on a small budget: a clean run against the real server, and a
 * planted bug it must find and report with what replays it. CI runs the full budget on both backends.
 */
describe('the spec-driven fuzzer', function () {
  this.timeout(180_000);
  const quiet = () => undefined;

  it('sends its budget of requests to the embedded server, covering most operations, and finds nothing wrong', async () => {
    const { figures, failure } = await fuzzBackend({ backend: 'embedded', seed: 1, budget: 200, log: quiet });
    expect(failure, failure).to.equal(undefined);
    expect(figures.requests).to.be.at.least(200);
    expect(figures.fiveHundreds).to.equal(0);
    expect(figures.byStatusClass['2xx'] ?? 0).to.be.greaterThan(20);
    expect(figures.byStatusClass['4xx'] ?? 0).to.be.greaterThan(50);
    expect(figures.operations).to.be.greaterThan(60);
    expect(figures.storeChecks).to.be.greaterThan(0);
  });

  it('reports a server error with the seed, the replay path and the request as sent', async () => {
    // Every list of stacks fails: a bug the fuzzer must hit within its budget.
    const planted: HandlerMap = {
      ...handlers,
      listStacks: () => Promise.reject(new Error('planted by the fuzzer test')),
      listBuildpacks: () => Promise.reject(new Error('planted by the fuzzer test')),
    };
    const { figures, failure } = await fuzzBackend({
      backend: 'embedded',
      seed: 3,
      budget: 2000,
      log: quiet,
      handlers: planted,
      shrinkSeconds: 10,
    });
    expect(failure).to.be.a('string');
    expect(failure).to.match(/status 500 \(a server error\)/);
    expect(failure).to.match(/Replay: npm run fuzz -- --backend embedded --seed \d+ --path "[\d:]+"/);
    expect(failure).to.match(/curl -X GET .*"\$CF_API\/v3\/(stacks|buildpacks)/);
    expect(figures.fiveHundreds).to.be.greaterThan(0);
    // The printed seed and path replay the shrunk counterexample at once.
    const [, seed, path] = /--seed (\d+) --path "([\d:]+)"/.exec(failure ?? '') ?? [];
    const replay = await fuzzBackend({
      backend: 'embedded',
      seed: Number(seed),
      path: path!,
      budget: 2000,
      log: quiet,
      handlers: planted,
      shrinkSeconds: 1,
    });
    expect(replay.failure).to.match(/status 500 \(a server error\)/);
    expect(replay.figures.requests).to.be.at.most(30);
  });

  it('reports refused requests that changed the store', async () => {
    // A planted bug: every request that reaches a handler labels the root namespace first, even when the
    // handler then refuses it (an unknown GUID is a 404 from the handler).
    let writes = 0;
    const planted = Object.fromEntries(
      Object.entries(handlers).map(([operationId, handler]) => [
        operationId,
        async (request: never, scope: Scope) => {
          const root = { kind: 'Namespace' as const, name: scope.runtime.config.rootNamespace };
          await scope.runtime.store.privileged().patch(root, { metadata: { labels: { touched: String(++writes) } } });
          return (handler as (request: never, scope: Scope) => Promise<unknown>)(request, scope);
        },
      ]),
    ) as unknown as HandlerMap;
    const { failure } = await fuzzBackend({ backend: 'embedded', seed: 5, budget: 2000, log: quiet, handlers: planted, shrinkSeconds: 10 });
    expect(failure).to.be.a('string');
    expect(failure).to.match(/requests that were all refused changed the store:\n {2}changed Namespace \/cf /);
  });
});
