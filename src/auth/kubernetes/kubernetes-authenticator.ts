import type { KubeConfig } from '@kubernetes/client-node';
import { invalidAuthToken } from '../../errors/api-error.ts';
import { userConfig } from '../../store/kubernetes/kubernetes-store.ts';
import { KubernetesHttpError, RestClient } from '../../store/kubernetes/rest-client.ts';
import type { Authenticator, Credentials, Identity } from '../identity.ts';

type UserInfo = { username?: string; groups?: string[] };
type TokenReview = { status?: { authenticated?: boolean; user?: UserInfo; error?: string } };
type SelfSubjectReview = { status?: { userInfo?: UserInfo } };

/**
 * Identities from the apiserver itself, as Korifi resolves them: a bearer token by a TokenReview
 * made with the server's own credentials; a client certificate by calling the apiserver with it (a
 * SelfSubjectReview), which both proves the apiserver accepts the certificate and tells who it
 * takes the caller for. The request layer caches the outcome briefly.
 */
export class KubernetesAuthenticator implements Authenticator {
  readonly #config: KubeConfig;
  readonly #privileged: RestClient;

  constructor(privilegedConfig: KubeConfig) {
    this.#config = privilegedConfig;
    this.#privileged = new RestClient(privilegedConfig);
  }

  async authenticate(credentials: Credentials): Promise<Identity> {
    return credentials.scheme === 'bearer' ? this.#reviewToken(credentials.token) : this.#reviewCertificate(credentials);
  }

  close(): void {
    this.#privileged.close();
  }

  async #reviewToken(token: string): Promise<Identity> {
    const review = await this.#privileged.request<TokenReview>({
      method: 'POST',
      path: '/apis/authentication.k8s.io/v1/tokenreviews',
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } },
    });
    if (!review.status?.authenticated || !review.status.user?.username) throw invalidAuthToken();
    return identityOf(review.status.user.username, review.status.user.groups);
  }

  async #reviewCertificate(credentials: Credentials): Promise<Identity> {
    const client = new RestClient(userConfig(this.#config, credentials));
    try {
      const review = await client.request<SelfSubjectReview>({
        method: 'POST',
        path: '/apis/authentication.k8s.io/v1/selfsubjectreviews',
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      });
      const username = review.status?.userInfo?.username;
      if (!username || username === 'system:anonymous') throw invalidAuthToken();
      return identityOf(username, review.status?.userInfo?.groups);
    } catch (error) {
      throw rejectedCredentials(error) ? invalidAuthToken(error) : error;
    } finally {
      client.close();
    }
  }
}

function identityOf(username: string, groups: string[] = []): Identity {
  const kind = groups.includes('system:serviceaccounts') ? 'ServiceAccount' : 'User';
  return { name: username, kind, groups: groups.filter((group) => group !== 'system:authenticated') };
}

/** A certificate the apiserver does not accept fails the TLS handshake or comes back 401/403. */
function rejectedCredentials(error: unknown): boolean {
  if (error instanceof KubernetesHttpError) return error.statusCode === 401 || error.statusCode === 403;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  return /^(ERR_SSL|ERR_OSSL|EPROTO|ECONNRESET)/.test(code) || /certificate|key values mismatch/i.test((error as Error).message);
}
