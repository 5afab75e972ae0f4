import { X509Certificate, createPrivateKey } from 'node:crypto';
import type { KubeConfig } from '@kubernetes/client-node';
import { authenticatedGroup, serviceAccountsGroup, type Authenticator, type Credentials, type Identity } from '../../auth/identity.ts';
import { invalidAuthToken } from '../../errors/api-error.ts';
import { userConfig } from './kubernetes-store.ts';
import { KubernetesHttpError, RestClient } from './rest-client.ts';

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
    // Over plain HTTP (e.g. through `kubectl proxy`) the certificate never reaches the apiserver, and
    // the proxy's own identity would answer: such a certificate proves nothing.
    if (!this.#config.getCurrentCluster()?.server.startsWith('https:')) {
      throw invalidAuthToken(new Error('client certificates can only be checked by an apiserver reached over HTTPS'));
    }
    assertKeyMatches(credentials);
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

/** A certificate and key that do not belong together are the caller's mistake (401), not a TLS failure (500). */
function assertKeyMatches(credentials: Credentials): void {
  if (credentials.scheme !== 'clientCert') return;
  try {
    if (new X509Certificate(credentials.certificatePem).checkPrivateKey(createPrivateKey(credentials.privateKeyPem))) return;
  } catch (error) {
    throw invalidAuthToken(error);
  }
  throw invalidAuthToken(new Error('the private key does not belong to the certificate'));
}

function identityOf(username: string, groups: string[] = []): Identity {
  const kind = groups.includes(serviceAccountsGroup) ? 'ServiceAccount' : 'User';
  return { name: username, kind, groups: groups.filter((group) => group !== authenticatedGroup) };
}

/**
 * The apiserver answers 401 for a certificate it does not accept (it asks for client certificates
 * but does not require them). Anything else — a reset, our own CA not matching the server — is a
 * fault of the server or its configuration, not of the caller's credentials, and stays an error.
 */
function rejectedCredentials(error: unknown): boolean {
  return error instanceof KubernetesHttpError && (error.statusCode === 401 || error.statusCode === 403);
}
