import { expect } from 'chai';
import { eventually, uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from './backends.ts';
import type { CfClient } from './cf-client.ts';
import { cfError, expectCfError } from './cf-errors.ts';
import type { Domain } from './resources.ts';
import type { TestResponse } from '../../support/test-server.ts';
import type { Store, StoreSession } from '../../../src/store/port.ts';

const rounds = 15;
const overlapping = cfError.unprocessable('Overlapping domain exists');

/** A parent name no other test uses, so each round starts from nothing. */
const freshParent = () => `${uniqueName('race')}.test`;

/** The one 201 among the answers; every other is the overlap error. */
function onlyOneCreated(responses: TestResponse[]): Domain {
  const created = responses.filter((response) => response.status === 201);
  expect(created.length, responses.map((response) => `${response.status} ${response.text}`).join('\n')).to.equal(1);
  for (const response of responses.filter((other) => other.status !== 201)) expectCfError(response, overlapping);
  return created[0]!.body as Domain;
}

/**
 * Makes every call of the server's store answer after a turn of the event loop, as a remote apiserver
 * does: the embedded store answers at once, so requests would otherwise never interleave in one process.
 * Answers how to undo it.
 */
function answeringLater(store: Store): () => void {
  const as = store.as.bind(store);
  const privileged = store.privileged.bind(store);
  const later = (session: StoreSession): StoreSession =>
    new Proxy(session, {
      get(target, property) {
        const value: unknown = Reflect.get(target, property, target);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          await new Promise((resolve) => setImmediate(resolve));
          return (value as (...args: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  store.as = (user) => later(as(user));
  store.privileged = () => later(privileged());
  return () => {
    store.as = as;
    store.privileged = privileged;
  };
}

forEachBackend('domain overlap, atomically', (cf: CfClient) => {
  const create = (name: string) => cf.post('/v3/domains', { name });
  let undo: (() => void) | undefined;
  before(() => {
    undo = answeringLater(cf.server.store);
  });
  after(() => undo?.());

  it('lets exactly one of a domain and its subdomain created at once succeed', async () => {
    for (let round = 0; round < rounds; round++) {
      const parent = freshParent();
      // Either may be asked first; each order is tried.
      const names = round % 2 === 0 ? [parent, `x.${parent}`] : [`x.${parent}`, parent];
      onlyOneCreated(await Promise.all(names.map(create)));
    }
  });

  it('lets exactly one of a domain and a deeper subdomain, whose parent is no domain, succeed', async () => {
    for (let round = 0; round < rounds; round++) {
      const parent = freshParent();
      onlyOneCreated(await Promise.all([create(`y.x.${parent}`), create(parent)]));
    }
  });

  it('lets sibling subdomains both exist, and then refuses their parent', async () => {
    const parent = freshParent();
    const siblings = await Promise.all([create(`x.${parent}`), create(`y.${parent}`)]);
    for (const response of siblings) expect(response.status, response.text).to.equal(201);
    expectCfError(await create(parent), overlapping);
  });

  it('frees the claims with the domains: the parent of deleted subdomains, and a subdomain of a deleted parent', async () => {
    const parent = freshParent();
    const subdomains = await Promise.all([create(`x.${parent}`), create(`y.${parent}`)]);
    for (const response of subdomains) {
      const { guid } = response.body as Domain;
      await cf.deleteAndWait(`/v3/domains/${guid}`, 'domain.delete', guid);
    }
    const created = await create(parent);
    expect(created.status, created.text).to.equal(201);
    const { guid } = created.body as Domain;
    await cf.deleteAndWait(`/v3/domains/${guid}`, 'domain.delete', guid);
    const again = await create(`x.${parent}`);
    expect(again.status, again.text).to.equal(201);
  });

  it('has the garbage collector remove every claim of deleted domains, the shared one of their parent too', async () => {
    const parent = freshParent();
    const names = [`x.${parent}`, `y.${parent}`];
    const claimedNames = async () => {
      const leases = await cf.server.store.privileged().list('Lease', { namespace: cf.server.config.rootNamespace });
      return leases.items
        .map((lease) => lease.metadata.annotations?.['cfapi.cloudfoundry.org/name'])
        .filter((name) => name?.endsWith(parent));
    };
    const created = await Promise.all(names.map(create));
    for (const response of created) expect(response.status, response.text).to.equal(201);
    expect(await claimedNames()).to.have.members([...names, parent]);
    for (const { guid } of created.map((response) => response.body as Domain)) {
      await cf.deleteAndWait(`/v3/domains/${guid}`, 'domain.delete', guid);
    }
    await eventually(async () => expect(await claimedNames()).to.deep.equal([]), 60_000);
  });

  it('leaves nothing of the loser claimed: once the winner is deleted, the loser’s name can be created', async () => {
    const parent = freshParent();
    const winner = onlyOneCreated(await Promise.all([create(`x.${parent}`), create(parent)]));
    const { guid } = winner;
    await cf.deleteAndWait(`/v3/domains/${guid}`, 'domain.delete', guid);
    const loser = winner.name === parent ? `x.${parent}` : parent;
    const response = await create(loser);
    expect(response.status, response.text).to.equal(201);
  });
});
