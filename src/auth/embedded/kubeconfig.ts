import { readFile } from 'node:fs/promises';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { withFileLock, writePrivateFile } from './locked-file.ts';

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
 * The cluster entry of the kubeconfig. The cf CLI never contacts it (it sends requests to its `cf api`
 * target), but client-go, through which the CLI reads users, requires a current context whose cluster has
 * a server, and loads a user's certificate and token only when that server is `https://`. So the entry
 * names an HTTPS address under `.invalid`, which never resolves (RFC 6761): kubectl or any other
 * kubeconfig reader pointed at this file fails at once saying the host does not exist, instead of talking
 * to some other server — this server is not a Kubernetes API.
 */
export const kubeconfigCluster = { server: 'https://not-a-kubernetes-cluster.cf-k8s-api.invalid' } as const;

const header =
  '# Users of a cf-k8s-api server for the cf CLI (`KUBECONFIG=<this file> cf auth <user>`).\n' +
  '# Not a Kubernetes cluster: the cluster entry exists only because the CLI reads users through client-go.\n';

/** Adds or replaces a user in the kubeconfig the cf CLI reads, with a context per user; the first context is current. */
export function writeKubeconfigUser(file: string, user: KubeconfigUser): Promise<void> {
  return withFileLock(file, () => addUserTo(file, user));
}

async function addUserTo(file: string, user: KubeconfigUser): Promise<void> {
  const config = (await readKubeconfig(file)) ?? emptyKubeconfig();
  upsert(config.clusters, { name: clusterName, cluster: { ...kubeconfigCluster } });
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
  await writeKubeconfig(file, config);
}

/**
 * Points a kubeconfig written by an earlier release (cluster `server: http://…`, with which the cf CLI
 * sends no credentials) at the current cluster entry. Returns whether it changed anything.
 */
export function migrateKubeconfigCluster(file: string): Promise<boolean> {
  return withFileLock(file, () => migrateCluster(file));
}

async function migrateCluster(file: string): Promise<boolean> {
  const config = await readKubeconfig(file);
  const cluster = config?.clusters.find((entry) => entry.name === clusterName);
  if (!config || !cluster || (cluster['cluster'] as { server?: unknown } | undefined)?.server === kubeconfigCluster.server) return false;
  cluster['cluster'] = { ...kubeconfigCluster };
  await writeKubeconfig(file, config);
  return true;
}

function writeKubeconfig(file: string, config: Kubeconfig): Promise<void> {
  return writePrivateFile(file, header + stringifyYaml(config));
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
