import { expect } from 'chai';
import { RouteIndex } from '../../../src/router/route-index.ts';

const to = (...apps: string[]) => apps.map((appGuid) => ({ appGuid, processType: 'web' }));
const apps = (targets: readonly { appGuid: string }[] | undefined) => targets?.map((target) => target.appGuid);

describe('route index (gorouter’s matching)', () => {
  let index: RouteIndex;
  beforeEach(() => {
    index = new RouteIndex();
    index.set('root', { fqdn: 'App.Apps.Localhost', path: '', targets: to('root') });
    index.set('api', { fqdn: 'app.apps.localhost', path: '/api', targets: to('api') });
    index.set('v2', { fqdn: 'app.apps.localhost', path: '/API/v2/', targets: to('v2') });
    index.set('wild', { fqdn: '*.apps.localhost', path: '', targets: to('wild') });
  });

  it('matches the longest path prefix on / boundaries, without case or trailing slash', () => {
    expect(apps(index.lookup('app.apps.localhost', '/'))).to.deep.equal(['root']);
    expect(apps(index.lookup('APP.apps.localhost', '/api'))).to.deep.equal(['api']);
    expect(apps(index.lookup('app.apps.localhost', '/api/'))).to.deep.equal(['api']);
    expect(apps(index.lookup('app.apps.localhost', '/apis'))).to.deep.equal(['root']);
    expect(apps(index.lookup('app.apps.localhost', '/api/v2'))).to.deep.equal(['v2']);
    expect(apps(index.lookup('app.apps.localhost', '/Api/V2/x?y'))).to.deep.equal(['v2']);
    expect(apps(index.lookup('app.apps.localhost', '/api/v2x'))).to.deep.equal(['api']);
    expect(apps(index.lookup('app.apps.localhost', 'http://app.apps.localhost/api/x'))).to.deep.equal(['api']);
  });

  it('falls back to the nearest wildcard host, and answers undefined when nothing matches', () => {
    expect(apps(index.lookup('other.apps.localhost', '/api'))).to.deep.equal(['wild']);
    expect(apps(index.lookup('a.b.apps.localhost', '/'))).to.deep.equal(['wild']);
    expect(index.lookup('apps.localhost', '/')).to.equal(undefined);
    expect(index.lookup('elsewhere.example.com', '/')).to.equal(undefined);
    index.set('wild', undefined);
    expect(index.lookup('other.apps.localhost', '/')).to.equal(undefined);
  });

  it('follows changes of a route’s host, path and destinations, and joins routes of the same address', () => {
    index.set('api', { fqdn: 'moved.apps.localhost', path: '/api', targets: to('api', 'api-2', 'api') });
    expect(apps(index.lookup('app.apps.localhost', '/api'))).to.deep.equal(['root']);
    expect(apps(index.lookup('moved.apps.localhost', '/api/z'))).to.deep.equal(['api', 'api-2']);
    index.set('api-twin', { fqdn: 'moved.apps.localhost', path: '/api', targets: to('twin') });
    expect(apps(index.lookup('moved.apps.localhost', '/api'))).to.deep.equal(['api', 'api-2', 'twin']);
    index.set('api', undefined);
    index.set('api-twin', undefined);
    expect(apps(index.lookup('moved.apps.localhost', '/api'))).to.deep.equal(['wild']);
    expect([...index.keys()].sort()).to.deep.equal(['root', 'v2', 'wild']);
  });

  it('answers the same frozen array for a route until it changes', () => {
    const first = index.lookup('app.apps.localhost', '/api');
    expect(index.lookup('app.apps.localhost', '/api/other')).to.equal(first);
    expect(Object.isFrozen(first)).to.equal(true);
  });
});
