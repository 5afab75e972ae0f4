import { parseAuthorizationHeader } from '../auth/authorization-header.ts';
import type { AuthInfo, Authenticator } from '../auth/identity.ts';

/** Proves a request's Authorization header through the configured authenticator. */
export async function authenticateRequest(header: string | undefined, authenticator: Authenticator): Promise<AuthInfo> {
  const credentials = parseAuthorizationHeader(header);
  const identity = await authenticator.authenticate(credentials);
  return { identity, credentials };
}
