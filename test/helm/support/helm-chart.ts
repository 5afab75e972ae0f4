import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments, stringify as stringifyYaml } from 'yaml';
import type { ControlPlane } from '../../../scripts/control-plane/control-plane.ts';
import type { RestClient } from '../../../src/store/kubernetes/rest-client.ts';
import { writeControlPlaneKubeconfig } from '../../support/control-plane-kubeconfig.ts';
import { projectRoot } from '../../support/server-process.ts';

const run = promisify(execFile);

/** The chart under test. */
export const chartDirectory = join(projectRoot, 'deploy/helm/cf-k8s-api');

let binary: Promise<string> | undefined;

/**
 * The helm binary `npm run helm:build` built into ~/.cache/cfapi-helm (CI builds it before the
 * tests). Never built here: a missing binary fails the suite, saying how to build it.
 */
export function helmBinary(): Promise<string> {
  binary ??= (async () => {
    try {
      const { stdout } = await run('bash', [join(projectRoot, 'scripts/helm/build-helm.sh')], {
        env: { ...process.env, HELM_BUILD: 'never' },
      });
      return stdout.trim().split('\n').at(-1) ?? '';
    } catch (error) {
      throw new Error(`helm is not built: ${(error as { stderr?: string }).stderr ?? String(error)}`, { cause: error });
    }
  })();
  return binary;
}

/** Runs helm with these arguments; rejects with its stderr. */
export async function helm(args: string[], options: { kubeconfig?: string } = {}): Promise<string> {
  const file = await helmBinary();
  const scratch = await mkdtemp(join(tmpdir(), 'cfapi-helm-'));
  try {
    const { stdout } = await run(file, [...args, ...(options.kubeconfig ? ['--kubeconfig', options.kubeconfig] : [])], {
      maxBuffer: 64 * 1024 * 1024,
      // Its caches and settings in a scratch directory, not the user's.
      env: {
        ...process.env,
        HELM_CACHE_HOME: join(scratch, 'cache'),
        HELM_CONFIG_HOME: join(scratch, 'config'),
        HELM_DATA_HOME: join(scratch, 'data'),
      },
    });
    return stdout;
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    throw new Error(`helm ${args.join(' ')} failed:\n${stderr ?? String(error)}`, { cause: error });
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/** A rendered Kubernetes object (only what the tests read is typed). */
export type Rendered = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
};

async function valuesFile(values: Record<string, unknown>): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'cfapi-values-')), 'values.yaml');
  await writeFile(file, stringifyYaml(values));
  return file;
}

/** `helm template` of the chart with these values, as objects. */
export async function renderChart(values: Record<string, unknown> = {}, options: { namespace?: string; release?: string } = {}) {
  const output = await helm([
    'template',
    options.release ?? 'rel',
    chartDirectory,
    '--namespace',
    options.namespace ?? 'cfapi',
    '--values',
    await valuesFile(values),
  ]);
  return parseAllDocuments(output)
    .map((document) => document.toJS() as Rendered | null)
    .filter((object): object is Rendered => object !== null);
}

/** The one object of this kind and name (fails the test when there is none or several). */
export function only(objects: readonly Rendered[], kind: string, name?: string): Rendered {
  const found = objects.filter((object) => object.kind === kind && (name === undefined || object.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ''}, found ${found.length}`);
  return found[0]!;
}

export type Installed = { release: string; namespace: string; serviceAccount: string; fullname: string };

/**
 * `helm install` of the chart onto the control plane, in a new namespace, as a cluster admin would.
 * The shared control plane already holds the CRDs and CF ClusterRoles (installed by its harness), so
 * the release takes them over (`--take-ownership`) instead of failing on objects it did not make;
 * nothing waits for pods (no kubelet runs them).
 */
export async function installChart(
  controlPlane: ControlPlane,
  admin: RestClient,
  { release, namespace, values }: { release: string; namespace: string; values: Record<string, unknown> },
): Promise<Installed> {
  await admin.request({
    method: 'POST',
    path: '/api/v1/namespaces',
    body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
  });
  await helm(['install', release, chartDirectory, '--namespace', namespace, '--take-ownership', '--values', await valuesFile(values)], {
    kubeconfig: controlPlane.kubeconfigFile,
  });
  const fullname = `${release}-cf-k8s-api`;
  return { release, namespace, serviceAccount: fullname, fullname };
}

/** The config file the chart's ConfigMap holds, as installed, written to a file for `npm start -- --config`. */
export async function installedConfigFile(admin: RestClient, installed: Installed): Promise<string> {
  const configMap = await admin.request<{ data?: Record<string, string> }>({
    method: 'GET',
    path: `/api/v1/namespaces/${installed.namespace}/configmaps/${installed.fullname}`,
  });
  const text = configMap.data?.['config.yaml'];
  if (text === undefined) throw new Error(`ConfigMap ${installed.namespace}/${installed.fullname} has no config.yaml`);
  const file = join(await mkdtemp(join(tmpdir(), 'cfapi-chart-config-')), 'config.yaml');
  await writeFile(file, text);
  return file;
}

/**
 * A kubeconfig with a token of the release's ServiceAccount (TokenRequest API), as the pod would
 * have it mounted: the server runs with the chart's RBAC and nothing else.
 */
export async function serviceAccountKubeconfig(controlPlane: ControlPlane, admin: RestClient, installed: Installed): Promise<string> {
  const request = await admin.request<{ status?: { token?: string } }>({
    method: 'POST',
    path: `/api/v1/namespaces/${installed.namespace}/serviceaccounts/${installed.serviceAccount}/token`,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3 * 3600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`no token for ServiceAccount ${installed.namespace}/${installed.serviceAccount}`);
  const file = join(await mkdtemp(join(tmpdir(), 'cfapi-sa-kube-')), 'kubeconfig');
  const user = `system:serviceaccount:${installed.namespace}:${installed.serviceAccount}`;
  await writeControlPlaneKubeconfig(file, controlPlane, [{ name: user, user: { token } }]);
  return file;
}
