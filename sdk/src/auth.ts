import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';

/**
 * Who the client is: a bearer token, or a client certificate with its private key (PEM), which is sent
 * as the cf CLI sends it in CF-on-Kubernetes mode: `Authorization: ClientCert <base64 of the leaf
 * certificate PEM followed by the key as PKCS#8 PEM>`.
 */
export type Credentials = { token: string } | { certificatePem: string; privateKeyPem: string };

/** The `Authorization` header value for credentials. */
export function authorizationHeader(credentials: Credentials): string {
  if ('token' in credentials) return `Bearer ${credentials.token}`;
  const leaf = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(credentials.certificatePem)?.[0];
  if (!leaf) throw new KubeconfigError('the client certificate is not a PEM certificate');
  new X509Certificate(leaf); // throws on a certificate that does not parse, before any request is sent
  const key = pkcs8(credentials.privateKeyPem);
  return `ClientCert ${Buffer.from(`${leaf.trim()}\n${key.trim()}\n`).toString('base64')}`;
}

/** The key as PKCS#8 PEM, as the cf CLI re-marshals it; a key Node cannot read is sent as it is, for the server to judge. */
function pkcs8(privateKeyPem: string): string {
  try {
    return createPrivateKey(privateKeyPem).export({ type: 'pkcs8', format: 'pem' }).toString();
  } catch {
    return privateKeyPem;
  }
}

export class KubeconfigError extends Error {
  override readonly name: string = 'KubeconfigError';
}

export type KubeconfigOptions = {
  /** The kubeconfig file(s); default: every file of `KUBECONFIG` (merged, first one wins), else `~/.kube/config`. */
  path?: string | readonly string[];
  /** The user entry to take (`cf auth NAME`); default: the user of the context. */
  user?: string;
  /** The context whose user is taken; default: `current-context`. */
  context?: string;
};

type Named<T> = { name?: unknown } & Partial<Record<'user' | 'context', T>>;
type UserEntry = Partial<
  Record<'token' | 'tokenFile' | 'client-certificate-data' | 'client-key-data' | 'client-certificate' | 'client-key', unknown>
>;
type KubeconfigFile = { file: string; users: Named<UserEntry>[]; contexts: Named<{ user?: unknown }>[]; currentContext: unknown };

/**
 * Reads a user's credentials from a kubeconfig as the cf CLI does: the named user, else the user of the
 * named context, else of `current-context`; a client certificate (`client-certificate-data` /
 * `client-key-data`, or the `client-certificate` / `client-key` files, relative to the kubeconfig)
 * takes precedence over a token (`token`, or `tokenFile`).
 */
export async function credentialsFromKubeconfig(options: KubeconfigOptions = {}): Promise<Credentials> {
  const files = await Promise.all(kubeconfigPaths(options.path).map(readKubeconfig));
  const userName = options.user ?? userOfContext(files, options.context);
  const found = firstNamed(files, 'users', userName);
  if (!found) throw new KubeconfigError(`kubernetes user not found in configuration: ${userName}`);
  const { entry: user, file } = found;
  const certificatePem = await material(user, 'client-certificate', file);
  const privateKeyPem = await material(user, 'client-key', file);
  if (certificatePem !== undefined || privateKeyPem !== undefined) {
    if (certificatePem === undefined || privateKeyPem === undefined) {
      throw new KubeconfigError(`user ${userName} has a client certificate without its key, or a key without its certificate`);
    }
    return { certificatePem, privateKeyPem };
  }
  if (typeof user.token === 'string' && user.token !== '') return { token: user.token };
  if (typeof user.tokenFile === 'string') return { token: (await readFile(resolveFrom(file, user.tokenFile), 'utf8')).trim() };
  throw new KubeconfigError(`user ${userName} has neither a client certificate nor a token`);
}

function kubeconfigPaths(path: KubeconfigOptions['path']): string[] {
  if (typeof path === 'string') return [path];
  if (path && path.length > 0) return [...path];
  const fromEnvironment = (process.env['KUBECONFIG'] ?? '').split(delimiter).filter(Boolean);
  return fromEnvironment.length > 0 ? fromEnvironment : [join(homedir(), '.kube', 'config')];
}

async function readKubeconfig(file: string): Promise<KubeconfigFile> {
  let parsed: unknown;
  try {
    parsed = parseYaml(await readFile(file, 'utf8'));
  } catch (error) {
    throw new KubeconfigError(`cannot read kubeconfig ${file}: ${(error as Error).message}`);
  }
  const config = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const list = <T>(value: unknown) => (Array.isArray(value) ? (value as Named<T>[]) : []);
  return { file, users: list(config['users']), contexts: list(config['contexts']), currentContext: config['current-context'] };
}

function userOfContext(files: KubeconfigFile[], contextName: string | undefined): string {
  const name = contextName ?? files.map((file) => file.currentContext).find((value) => typeof value === 'string' && value !== '');
  if (typeof name !== 'string') throw new KubeconfigError('the kubeconfig has no current-context; name a user or a context');
  const context = firstNamed(files, 'contexts', name);
  if (!context) throw new KubeconfigError(`context not found in configuration: ${name}`);
  const user = context.entry.user;
  if (typeof user !== 'string' || user === '') throw new KubeconfigError(`context ${name} names no user`);
  return user;
}

function firstNamed<K extends 'users' | 'contexts'>(
  files: KubeconfigFile[],
  list: K,
  name: string,
): { entry: NonNullable<KubeconfigFile[K][number][K extends 'users' ? 'user' : 'context']>; file: string } | undefined {
  const field = list === 'users' ? 'user' : 'context';
  for (const file of files) {
    const found = (file[list] as Named<unknown>[]).find((item) => item.name === name);
    if (found) return { entry: found[field] ?? {}, file: file.file };
  }
  return undefined;
}

async function material(user: UserEntry, field: 'client-certificate' | 'client-key', file: string): Promise<string | undefined> {
  const data = user[`${field}-data`];
  if (typeof data === 'string' && data !== '') return Buffer.from(data, 'base64').toString('utf8');
  const path = user[field];
  if (typeof path === 'string' && path !== '') return readFile(resolveFrom(file, path), 'utf8');
  return undefined;
}

function resolveFrom(kubeconfigFile: string, path: string): string {
  return isAbsolute(path) ? path : join(dirname(kubeconfigFile), path);
}
