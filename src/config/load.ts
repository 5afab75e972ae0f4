import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { plainHttpProblem } from './plain-http-guard.ts';
import { configSchema, type Config } from './schema.ts';

/** Environment variables that override the file, each naming a config path and how to read it. */
const environmentOverrides: Record<string, { path: string[]; kind: 'string' | 'number' | 'boolean' | 'list' }> = {
  CFAPI_LISTEN_HOST: { path: ['listen', 'host'], kind: 'string' },
  CFAPI_LISTEN_PORT: { path: ['listen', 'port'], kind: 'number' },
  CFAPI_LISTEN_ALLOW_PLAIN_HTTP: { path: ['listen', 'allowPlainHttp'], kind: 'boolean' },
  CFAPI_EXTERNAL_URL: { path: ['externalUrl'], kind: 'string' },
  CFAPI_TLS_CERT_FILE: { path: ['tls', 'certFile'], kind: 'string' },
  CFAPI_TLS_KEY_FILE: { path: ['tls', 'keyFile'], kind: 'string' },
  CFAPI_DATA_DIR: { path: ['dataDir'], kind: 'string' },
  CFAPI_BACKEND: { path: ['backend'], kind: 'string' },
  CFAPI_EMBEDDED_DURABILITY: { path: ['embedded', 'durability'], kind: 'string' },
  CFAPI_KUBECONFIG: { path: ['kubernetes', 'kubeconfig'], kind: 'string' },
  CFAPI_KUBE_CONTEXT: { path: ['kubernetes', 'context'], kind: 'string' },
  CFAPI_KUBE_READ_CACHE: { path: ['kubernetes', 'readCache'], kind: 'boolean' },
  CFAPI_METRICS_ENABLED: { path: ['metrics', 'enabled'], kind: 'boolean' },
  CFAPI_ROOT_NAMESPACE: { path: ['rootNamespace'], kind: 'string' },
  CFAPI_DEFAULT_DOMAIN: { path: ['defaultDomain'], kind: 'string' },
  CFAPI_RECONCILERS: { path: ['reconcilers'], kind: 'boolean' },
  CFAPI_APP_RUNTIME: { path: ['appRuntime'], kind: 'string' },
  CFAPI_ROUTER_HOST: { path: ['router', 'host'], kind: 'string' },
  CFAPI_ROUTER_PORT: { path: ['router', 'port'], kind: 'number' },
  CFAPI_BUILDER_NAME: { path: ['builderName'], kind: 'string' },
  CFAPI_DEFAULT_PAGE_SIZE: { path: ['list', 'defaultPageSize'], kind: 'number' },
  CFAPI_LIMITS_INSTANCES_PER_PROCESS: { path: ['limits', 'instancesPerProcess'], kind: 'number' },
  CFAPI_PACKAGES_MAX_UPLOAD_BYTES: { path: ['packages', 'maxUploadBytes'], kind: 'number' },
  CFAPI_PACKAGES_MAX_UNCOMPRESSED_BYTES: { path: ['packages', 'maxUncompressedBytes'], kind: 'number' },
  CFAPI_PACKAGES_MAX_ENTRIES: { path: ['packages', 'maxEntries'], kind: 'number' },
  CFAPI_RESOURCE_MATCHING_CACHE_BYTES: { path: ['resourceMatching', 'cacheBytes'], kind: 'number' },
  CFAPI_CONTAINER_REPOSITORY_PREFIX: { path: ['containerRegistry', 'repositoryPrefix'], kind: 'string' },
  CFAPI_PACKAGE_REGISTRY_SECRET_NAMES: { path: ['containerRegistry', 'packageRegistrySecretNames'], kind: 'list' },
  CFAPI_CONTAINER_REGISTRY_CA_FILE: { path: ['containerRegistry', 'caFile'], kind: 'string' },
  CFAPI_LOG_LEVEL: { path: ['logLevel'], kind: 'string' },
  CFAPI_INFO_NAME: { path: ['info', 'name'], kind: 'string' },
  CFAPI_INFO_DESCRIPTION: { path: ['info', 'description'], kind: 'string' },
  CFAPI_INFO_SUPPORT_ADDRESS: { path: ['info', 'supportAddress'], kind: 'string' },
};

/** A configuration that cannot be used; the message names every problem. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export type ConfigSources = {
  /** Path of the YAML file; none means defaults and environment only. */
  file?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** Overrides from command-line flags, applied last, keyed by dotted path (`kubernetes.context`). */
  overrides?: Record<string, unknown>;
};

/** Reads, merges and validates the configuration: file, then environment, then flags. */
export async function loadConfig(sources: ConfigSources = {}): Promise<Config> {
  const raw = sources.file ? await readConfigFile(sources.file) : {};
  applyEnvironment(raw, sources.env ?? process.env);
  for (const [path, value] of Object.entries(sources.overrides ?? {})) setPath(raw, path.split('.'), value);
  return validateConfig(raw, sources.file ?? 'the environment');
}

/** Validates a plain object as configuration and derives the external URL. */
export function validateConfig(raw: unknown, origin = 'the configuration'): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(`Invalid configuration in ${origin}:\n${z.prettifyError(result.error)}`);
  }
  const parsed = result.data;
  const plainHttp = plainHttpProblem(parsed);
  if (plainHttp) throw new ConfigError(plainHttp);
  const scheme = parsed.tls ? 'https' : 'http';
  const externalUrl = (parsed.externalUrl ?? `${scheme}://${hostForUrl(parsed.listen.host)}:${parsed.listen.port}`).replace(/\/+$/, '');
  return {
    ...parsed,
    externalUrl,
    certificateWarningHours: parsed.certificateWarningHours ?? defaultCertificateWarningHours(parsed.backend),
    appRuntime: parsed.appRuntime ?? defaultAppRuntime(parsed.backend),
  };
}

/**
 * Korifi's warning about long-lived client certificates is advice to ask the platform for short-lived
 * ones; on the embedded backend the user's own server issued them, so it would only be noise.
 */
function defaultCertificateWarningHours(backend: Config['backend']): number | undefined {
  return backend === 'kubernetes' ? 168 : undefined;
}

/** On one machine the server runs the apps itself; on a cluster Korifi's controllers are expected to. */
function defaultAppRuntime(backend: Config['backend']): Config['appRuntime'] {
  return backend === 'embedded' ? 'local' : 'none';
}

async function readConfigFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read the configuration file ${file}: ${(error as Error).message}`);
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`The configuration file ${file} is not valid YAML: ${(error as Error).message}`);
  }
  if (document === null || document === undefined) return {};
  if (typeof document !== 'object' || Array.isArray(document)) {
    throw new ConfigError(`The configuration file ${file} must hold a YAML mapping`);
  }
  return document as Record<string, unknown>;
}

function applyEnvironment(target: Record<string, unknown>, env: NodeJS.ProcessEnv): void {
  for (const [name, { path, kind }] of Object.entries(environmentOverrides)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(target, path, parseEnvironmentValue(name, value, kind));
  }
}

function parseEnvironmentValue(name: string, value: string, kind: 'string' | 'number' | 'boolean' | 'list'): unknown {
  if (kind === 'string') return value;
  // A comma-separated list, e.g. Secret names.
  if (kind === 'list')
    return value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
  if (kind === 'boolean') {
    if (value !== 'true' && value !== 'false') throw new ConfigError(`${name} must be true or false, got "${value}"`);
    return value === 'true';
  }
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new ConfigError(`${name} must be a number, got "${value}"`);
  return parsed;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    if (typeof child !== 'object' || child === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[path[path.length - 1]!] = value;
}

function hostForUrl(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}
