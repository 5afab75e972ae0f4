import { expect } from 'chai';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import type { StoreUser } from '../../src/store/port.ts';
import { KubernetesStore } from '../../src/store/kubernetes/kubernetes-store.ts';

/** A stand-in apiserver that answers every GET with a Namespace and knows whose connection each socket is. */
class FakeApiserver {
  readonly server = http.createServer((request, response) => {
    this.#owners.set(request.socket, request.headers.authorization ?? '');
    response.setHeader('content-type', 'application/json');
    response.end(JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'ns', resourceVersion: '1' } }));
  });
  readonly #owners = new Map<Socket, string>();

  async start(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Resolves when the apiserver sees a connection of this user close. */
  async closedBy(user: string): Promise<void> {
    const socket = [...this.#owners].find(([, owner]) => owner === `Bearer ${user}`)?.[0];
    if (!socket) throw new Error(`${user} has no connection`);
    if (!socket.destroyed) await once(socket, 'close');
  }

  isOpen(user: string): boolean {
    return [...this.#owners].some(([socket, owner]) => owner === `Bearer ${user}` && !socket.destroyed);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

const user = (token: string): StoreUser => ({ name: token, groups: [], credentials: { scheme: 'bearer', token } });

describe('KubernetesStore: the users’ clients it keeps', () => {
  const apiserver = new FakeApiserver();
  let config: KubeConfig;
  before(async () => {
    config = new KubeConfig();
    config.loadFromOptions({
      // client-node accepts a plain-http server only with skipTLSVerify.
      clusters: [{ name: 'fake', server: await apiserver.start(), skipTLSVerify: true }],
      users: [{ name: 'server', token: 'server' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'server' }],
      currentContext: 'fake',
    });
  });
  after(() => apiserver.stop());

  it('keeps each user’s client until more recently used ones push it out', async () => {
    const store = new KubernetesStore(config, { maxUserClients: 2, evictionGraceMs: 0 });
    const alice = store.as(user('alice'));
    const bob = store.as(user('bob'));
    expect(store.as(user('alice'))).to.equal(alice);
    store.as(user('carol'));
    expect(store.as(user('alice'))).to.equal(alice);
    expect(store.as(user('bob'))).to.not.equal(bob);
    await store.close();
  });

  it('closes the connections of the client it evicts, and only those', async () => {
    const store = new KubernetesStore(config, { maxUserClients: 2, evictionGraceMs: 0 });
    const ref = { kind: 'Namespace', name: 'ns' } as const;
    await store.as(user('dave')).get(ref);
    await store.as(user('erin')).get(ref);
    await store.as(user('dave')).get(ref);
    store.as(user('frank')); // erin is the least recently used
    await apiserver.closedBy('erin');
    expect(apiserver.isOpen('dave')).to.equal(true);
    await store.close();
    await apiserver.closedBy('dave');
  });
});
