import { createHash } from 'node:crypto';
import { KubeConfig } from '@kubernetes/client-node';
import type { Credentials } from '../../auth/identity.ts';
import type { Store, StoreSession, StoreUser } from '../port.ts';
import { KubernetesSession } from './kubernetes-session.ts';
import { RestClient } from './rest-client.ts';

const userClientLimit = 500;
const userClientIdleMs = 10 * 60_000;
const evictionGraceMs = 60_000;

type CachedClient = { session: KubernetesSession; lastUsed: number };

/**
 * The Kubernetes backend. The privileged session uses the server's own kubeconfig (or in-cluster
 * service account); every user session sends that user's own token or client certificate, so the
 * apiserver's RBAC authorizes each call, as in Korifi. User clients are kept (keyed by a hash of the
 * credentials) so a user's calls share kept-alive connections.
 */
export class KubernetesStore implements Store {
  readonly #base: KubeConfig;
  readonly #privileged: KubernetesSession;
  readonly #users = new Map<string, CachedClient>();

  constructor(privilegedConfig: KubeConfig) {
    this.#base = privilegedConfig;
    this.#privileged = new KubernetesSession(new RestClient(privilegedConfig));
  }

  privileged(): StoreSession {
    return this.#privileged;
  }

  as(user: StoreUser): StoreSession {
    const key = credentialKey(user.credentials);
    const now = Date.now();
    const cached = this.#users.get(key);
    if (cached) {
      cached.lastUsed = now;
      return cached.session;
    }
    if (this.#users.size >= userClientLimit) this.#evictIdle(now);
    const session = new KubernetesSession(new RestClient(userConfig(this.#base, user.credentials)), () => this.#privileged);
    this.#users.set(key, { session, lastUsed: now });
    return session;
  }

  async close(): Promise<void> {
    this.#privileged.close();
    for (const { session } of this.#users.values()) session.close();
    this.#users.clear();
  }

  #evictIdle(now: number): void {
    const entries = [...this.#users.entries()].sort((a, b) => a[1].lastUsed - b[1].lastUsed);
    for (const [key, entry] of entries) {
      if (this.#users.size < userClientLimit * 0.9 && now - entry.lastUsed < userClientIdleMs) break;
      entry.session.close(evictionGraceMs); // a request may still be using it
      this.#users.delete(key);
    }
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

function credentialKey(credentials: Credentials): string {
  const material =
    credentials.scheme === 'bearer' ? `b:${credentials.token}` : `c:${credentials.certificatePem}\n${credentials.privateKeyPem}`;
  return createHash('sha256').update(material).digest('base64url');
}
