/** Kubernetes' privileged group: the apiserver (and the embedded store) lets its members do anything. */
export const mastersGroup = 'system:masters';
/** Every authenticated user is in this group. */
export const authenticatedGroup = 'system:authenticated';
/** Every service account is in this group. */
export const serviceAccountsGroup = 'system:serviceaccounts';

/** Who a request acts as. `name` is what RBAC subjects and `/whoami` use. */
export type Identity = {
  name: string;
  kind: 'User' | 'ServiceAccount';
  /** Groups as Kubernetes would see them (certificate O fields, TokenReview groups); the embedded RBAC uses them. */
  groups: readonly string[];
};

/** Credentials taken from the Authorization header, not yet checked. */
export type Credentials = { scheme: 'bearer'; token: string } | { scheme: 'clientCert'; certificatePem: string; privateKeyPem: string };

/** The credentials of a request together with the identity they proved. */
export type AuthInfo = { identity: Identity; credentials: Credentials };

/**
 * Resolves credentials to an identity. Implementations throw `invalidAuthToken()` for credentials
 * they do not accept; any other error is a failure of the authenticator itself.
 */
export interface Authenticator {
  authenticate(credentials: Credentials): Promise<Identity>;
}
