import { KubeConfig } from '@kubernetes/client-node';
import { LRUCache } from 'lru-cache';
import type { Credentials } from '../../auth/identity.ts';
import { credentialKey } from '../credential-key.ts';
import type { Store, StoreSession, StoreUser } from '../port.ts';
import { KubernetesSession } from './kubernetes-session.ts';
import { RestClient } from './rest-client.ts';

export type UserClientOptions = {
  /** How many users' clients are kept (default 500); the least recently used one goes first. */
  maxUserClients?: number;
  /** How long an evicted client's connections stay open for calls still using them (default 60 s). */
  evictionGraceMs?: number;
};

/**
 * The Kubernetes backend. The privileged session uses the server's own kubeconfig (or in-cluster
 * service account); every user session sends that user's own token or client certificate, so the
 * apiserver's RBAC authorizes each call, as in Korifi. User clients are kept (keyed by a hash of the
 * credentials) so a user's calls share kept-alive connections. They are evicted by count, not by age:
 * an idle client holds only sockets the apiserver closes itself, and an age limit would cut a long wait.
 */
export class KubernetesStore implements Store {
  readonly #base: KubeConfig;
  readonly #privileged: KubernetesSession;
  readonly #users: LRUCache<string, KubernetesSession>;

  constructor(privilegedConfig: KubeConfig, options: UserClientOptions = {}) {
    this.#base = privilegedConfig;
    this.#privileged = new KubernetesSession(new RestClient(privilegedConfig));
    const evictionGraceMs = options.evictionGraceMs ?? 60_000;
    this.#users = new LRUCache({
      max: options.maxUserClients ?? 500,
      // An evicted client may still serve a request that took it moments ago; at close, nothing does.
      dispose: (session, _key, reason) => session.close(reason === 'evict' ? evictionGraceMs : 0),
    });
  }

  privileged(): StoreSession {
    return this.#privileged;
  }

  as(user: StoreUser): StoreSession {
    const key = credentialKey(user.credentials);
    const cached = this.#users.get(key);
    if (cached) return cached;
    const session = new KubernetesSession(new RestClient(userConfig(this.#base, user.credentials)), () => this.#privileged);
    this.#users.set(key, session);
    return session;
  }

  async close(): Promise<void> {
    this.#privileged.close();
    this.#users.clear();
  }
}

/** A kubeconfig for the same cluster with only the user's own credentials (nothing of the server's). */
export function userConfig(base: KubeConfig, credentials: Credentials): KubeConfig {
  const cluster = base.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  const config = new KubeConfig();
  const user =
    credentials.scheme === 'bearer'
      ? { name: 'cf-user', token: credentials.token }
      : {
          name: 'cf-user',
          certData: Buffer.from(credentials.certificatePem).toString('base64'),
          keyData: Buffer.from(credentials.privateKeyPem).toString('base64'),
        };
  config.loadFromClusterAndUser(cluster, user);
  return config;
}
