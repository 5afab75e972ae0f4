import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import type { RouteTarget, RoutingTable } from '../../../src/router/app-router.ts';
import { watchRoutingTable } from '../../../src/router/store-routing-table.ts';
import type { RouteDestination } from '../../../src/store/korifi-types.ts';
import type { NewObject } from '../../../src/store/objects.ts';
import { capturingLogger, withControlledWatches } from '../../reconcilers/support.ts';
import { eventually } from '../../store/fixture.ts';
import { namespace, testStore, type TestStore } from '../embedded-store/store-fixtures.ts';

const rootNamespace = 'cf';
const space = 'space-guid';

const domain = (guid: string, name: string): NewObject<'CFDomain'> => ({
  kind: 'CFDomain',
  metadata: { name: guid, namespace: rootNamespace },
  spec: { name },
});

const destination = (appGuid: string, processType = 'web'): RouteDestination => ({
  guid: randomUUID(),
  appRef: { name: appGuid },
  processType,
  protocol: 'http1',
});

const route = (
  guid: string,
  spec: { host?: string; path?: string; domainGuid: string; destinations?: RouteDestination[]; protocol?: 'http' | 'tcp' },
): NewObject<'CFRoute'> => ({
  kind: 'CFRoute',
  metadata: { name: guid, namespace: space },
  spec: {
    ...(spec.host === undefined ? {} : { host: spec.host }),
    ...(spec.path === undefined ? {} : { path: spec.path }),
    protocol: spec.protocol ?? 'http',
    domainRef: { name: spec.domainGuid, namespace: rootNamespace },
    destinations: spec.destinations ?? [],
  },
});

const targets = (...pairs: [string, string][]): RouteTarget[] => pairs.map(([appGuid, processType]) => ({ appGuid, processType }));

describe('routing table from the store', () => {
  let fixture: TestStore;
  let table: (RoutingTable & { close(): void }) | undefined;

  beforeEach(async () => {
    fixture = await testStore();
    await fixture.admin.create(namespace(rootNamespace));
    await fixture.admin.create(namespace(space));
    await fixture.admin.create(domain('apps-domain', 'apps.localhost'));
  });
  afterEach(async () => {
    table?.close();
    table = undefined;
    await fixture.dispose();
  });

  const found = (host: string, path = '/') => (table === undefined ? undefined : table.lookup(host, path));

  it('routes what exists at start: host.domain, the domain itself for an empty host, paths, destinations', async () => {
    await fixture.admin.create(route('r-root', { host: 'myapp', domainGuid: 'apps-domain', destinations: [destination('app-1')] }));
    await fixture.admin.create(
      route('r-api', {
        host: 'myapp',
        path: '/api',
        domainGuid: 'apps-domain',
        destinations: [destination('app-2', 'worker'), destination('app-3')],
      }),
    );
    await fixture.admin.create(route('r-bare', { host: '', domainGuid: 'apps-domain', destinations: [destination('app-4')] }));
    await fixture.admin.create(
      route('r-tcp', { host: 'tcp', domainGuid: 'apps-domain', destinations: [destination('app-5')], protocol: 'tcp' }),
    );
    await fixture.admin.create(route('r-orphan', { host: 'orphan', domainGuid: 'no-such-domain', destinations: [destination('app-6')] }));
    table = await watchRoutingTable(fixture.store, capturingLogger().logger);

    expect(found('myapp.apps.localhost')).to.deep.equal(targets(['app-1', 'web']));
    expect(found('MyApp.apps.localhost', '/api/items')).to.deep.equal(targets(['app-2', 'worker'], ['app-3', 'web']));
    expect(found('myapp.apps.localhost', '/apis')).to.deep.equal(targets(['app-1', 'web']));
    expect(found('apps.localhost')).to.deep.equal(targets(['app-4', 'web']));
    expect(found('tcp.apps.localhost')).to.equal(undefined);
    expect(found('orphan.apps.localhost')).to.equal(undefined);
  });

  it('follows routes created, changed and deleted after start', async () => {
    table = await watchRoutingTable(fixture.store, capturingLogger().logger);
    expect(found('later.apps.localhost')).to.equal(undefined);

    const created = await fixture.admin.create(route('r-later', { host: 'later', domainGuid: 'apps-domain' }));
    await eventually(async () => expect(found('later.apps.localhost')).to.deep.equal([]), 2_000);

    await fixture.admin.patch(
      { kind: 'CFRoute', namespace: space, name: created.metadata.name },
      { spec: { destinations: [destination('app-1'), destination('app-2')] } },
    );
    await eventually(async () => expect(found('later.apps.localhost')).to.deep.equal(targets(['app-1', 'web'], ['app-2', 'web'])), 2_000);

    await fixture.admin.patch(
      { kind: 'CFRoute', namespace: space, name: created.metadata.name },
      { spec: { host: 'renamed', path: '/v1' } },
    );
    await eventually(async () => {
      expect(found('later.apps.localhost')).to.equal(undefined);
      expect(found('renamed.apps.localhost', '/v1/x')).to.have.length(2);
      expect(found('renamed.apps.localhost', '/v2')).to.equal(undefined);
    }, 2_000);

    await fixture.admin.delete({ kind: 'CFRoute', namespace: space, name: created.metadata.name });
    await eventually(async () => expect(found('renamed.apps.localhost', '/v1')).to.equal(undefined), 2_000);
  });

  it('follows domains: a route waits for its domain, moves with its name, and goes with it', async () => {
    await fixture.admin.create(route('r-1', { host: 'shop', domainGuid: 'late-domain', destinations: [destination('app-1')] }));
    table = await watchRoutingTable(fixture.store, capturingLogger().logger);
    expect(found('shop.example.test')).to.equal(undefined);

    await fixture.admin.create(domain('late-domain', 'example.test'));
    await eventually(async () => expect(found('shop.example.test')).to.deep.equal(targets(['app-1', 'web'])), 2_000);

    await fixture.admin.patch({ kind: 'CFDomain', namespace: rootNamespace, name: 'late-domain' }, { spec: { name: 'Example.Org' } });
    await eventually(async () => {
      expect(found('shop.example.test')).to.equal(undefined);
      expect(found('shop.example.org')).to.deep.equal(targets(['app-1', 'web']));
    }, 2_000);

    await fixture.admin.delete({ kind: 'CFDomain', namespace: rootNamespace, name: 'late-domain' });
    await eventually(async () => expect(found('shop.example.org')).to.equal(undefined), 2_000);
  });

  it('lists again after a watch ends and catches up with what changed meanwhile', async () => {
    const controlled = withControlledWatches(fixture.store);
    await fixture.admin.create(route('r-kept', { host: 'kept', domainGuid: 'apps-domain', destinations: [destination('app-1')] }));
    await fixture.admin.create(route('r-gone', { host: 'gone', domainGuid: 'apps-domain', destinations: [destination('app-2')] }));
    table = await watchRoutingTable(controlled.store, capturingLogger().logger);
    expect(found('gone.apps.localhost')).to.have.length(1);

    controlled.deaf = true;
    await fixture.admin.delete({ kind: 'CFRoute', namespace: space, name: 'r-gone' });
    await fixture.admin.create(route('r-new', { host: 'new', domainGuid: 'apps-domain', destinations: [destination('app-3')] }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(found('gone.apps.localhost'), 'a deaf watch missed the deletion').to.have.length(1);

    controlled.deaf = false;
    controlled.endAll(new Error('the watch expired'));
    await eventually(async () => {
      expect(found('gone.apps.localhost')).to.equal(undefined);
      expect(found('new.apps.localhost')).to.deep.equal(targets(['app-3', 'web']));
      expect(found('kept.apps.localhost')).to.deep.equal(targets(['app-1', 'web']));
    }, 5_000);
  });
});
