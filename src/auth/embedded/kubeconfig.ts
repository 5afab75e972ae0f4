import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

/** What a kubeconfig user entry holds for the cf CLI: a client certificate and a bearer token. */
export type KubeconfigUser = { name: string; certificatePem: string; privateKeyPem: string; token: string };

type NamedEntry = { name: string; [key: string]: unknown };
type Kubeconfig = {
  apiVersion: 'v1';
  kind: 'Config';
  clusters: NamedEntry[];
  contexts: NamedEntry[];
  'current-context': string;
  users: NamedEntry[];
  preferences?: Record<string, unknown>;
};

const clusterName = 'cf-k8s-api';

/**
 * Adds or replaces a user in the kubeconfig the cf CLI reads (`KUBECONFIG=<file> cf auth <user>`), with
 * one cluster whose `server` is the API URL and a context per user; the first context is current.
 */
export async function writeKubeconfigUser(file: string, server: string, user: KubeconfigUser): Promise<void> {
  const config = (await readKubeconfig(file)) ?? emptyKubeconfig();
  upsert(config.clusters, { name: clusterName, cluster: { server } });
  upsert(config.users, {
    name: user.name,
    user: {
      'client-certificate-data': Buffer.from(user.certificatePem).toString('base64'),
      'client-key-data': Buffer.from(user.privateKeyPem).toString('base64'),
      token: user.token,
    },
  });
  upsert(config.contexts, { name: user.name, context: { cluster: clusterName, user: user.name } });
  if (!config['current-context']) config['current-context'] = user.name;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, stringifyYaml(config), { mode: 0o600 });
  await rename(temporary, file);
}

async function readKubeconfig(file: string): Promise<Kubeconfig | undefined> {
  try {
    return parseYaml(await readFile(file, 'utf8')) as Kubeconfig;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

function emptyKubeconfig(): Kubeconfig {
  return { apiVersion: 'v1', kind: 'Config', clusters: [], contexts: [], 'current-context': '', users: [] };
}

function upsert(entries: NamedEntry[], entry: NamedEntry): void {
  const index = entries.findIndex((existing) => existing.name === entry.name);
  if (index === -1) entries.push(entry);
  else entries[index] = entry;
}
