import type { RegistryCredentials } from './registry-client.ts';

/** A `WWW-Authenticate` challenge: its scheme in lower case and its `key="value"` parameters. */
export type AuthChallenge = { scheme: string; params: Record<string, string> };

export function parseChallenge(header: string): AuthChallenge {
  const match = /^\s*([A-Za-z]+)\s*(.*)$/.exec(header);
  const params: Record<string, string> = {};
  for (const [, key, quoted, bare] of (match?.[2] ?? '').matchAll(/([A-Za-z_]+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g))
    params[key!.toLowerCase()] = (quoted ?? bare ?? '').replace(/\\(.)/g, '$1');
  return { scheme: (match?.[1] ?? '').toLowerCase(), params };
}

export function basicAuthorization({ username, password }: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** Where to ask for a bearer token: the challenge's realm with its service and scope (RFC-less, as Docker's token API). */
export function tokenUrl(challenge: AuthChallenge): URL {
  const url = URL.parse(challenge.params['realm'] ?? '') ?? new URL('invalid:');
  if (challenge.params['service']) url.searchParams.set('service', challenge.params['service']);
  if (challenge.params['scope']) url.searchParams.set('scope', challenge.params['scope']);
  return url;
}
