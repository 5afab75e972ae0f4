import type { RegistryCredentials } from './registry-client.ts';

/** The part of a Kubernetes Secret read here: its type and its base64 data. */
export type DockerConfigSecret = { type?: string | undefined; data?: Record<string, string> | undefined };

type AuthEntry = { username?: string; password?: string; auth?: string; identitytoken?: string };

/**
 * The credentials the Secrets hold for `registry`, as Korifi's keychain finds them: Secrets of type
 * `kubernetes.io/dockerconfigjson` (`.dockerconfigjson` = `{"auths": {...}}`) or
 * `kubernetes.io/dockercfg` (`.dockercfg` = the map itself), in the order given, the first entry
 * whose key names the registry's host (with or without scheme and path; Docker Hub under any of its
 * names). `auth` (base64 `user:password`) serves when `username`/`password` are absent. Undefined
 * when no Secret has an entry: the registry is then called without credentials.
 */
export function registryCredentialsFromSecrets(secrets: readonly DockerConfigSecret[], registry: string): RegistryCredentials | undefined {
  for (const secret of secrets) {
    for (const [key, entry] of Object.entries(authEntries(secret))) {
      if (!namesRegistry(key, registry)) continue;
      const credentials = entryCredentials(entry);
      if (credentials) return credentials;
    }
  }
  return undefined;
}

function authEntries(secret: DockerConfigSecret): Record<string, AuthEntry> {
  const json = secret.data?.['.dockerconfigjson'];
  const legacy = secret.data?.['.dockercfg'];
  try {
    if ((secret.type ?? 'kubernetes.io/dockerconfigjson') === 'kubernetes.io/dockerconfigjson' && json)
      return objectOrEmpty((JSON.parse(decode(json)) as { auths?: unknown }).auths);
    if (secret.type === 'kubernetes.io/dockercfg' && legacy) return objectOrEmpty(JSON.parse(decode(legacy)));
  } catch {
    // A Secret that does not parse gives nothing, like one that is missing.
  }
  return {};
}

function entryCredentials(entry: AuthEntry): RegistryCredentials | undefined {
  if (entry.username && entry.password !== undefined) return { username: entry.username, password: entry.password };
  if (entry.auth) {
    const decoded = decode(entry.auth);
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return undefined;
}

const dockerHubNames = new Set(['index.docker.io', 'docker.io', 'registry-1.docker.io']);

function namesRegistry(key: string, registry: string): boolean {
  const host = key
    .replace(/^[a-z]+:\/\//i, '')
    .split('/')[0]!
    .toLowerCase();
  const wanted = registry.toLowerCase();
  return host === wanted || (dockerHubNames.has(host) && dockerHubNames.has(wanted));
}

function objectOrEmpty(value: unknown): Record<string, AuthEntry> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, AuthEntry>) : {};
}

function decode(base64: string): string {
  return Buffer.from(base64, 'base64').toString('utf8');
}
