import {
  ApiException,
  ApiextensionsV1Api,
  KubernetesObjectApi,
  PatchStrategy,
  loadYaml,
  type KubeConfig,
  type V1CustomResourceDefinition,
} from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadCrdManifests, type CrdManifest } from './crd-manifests.ts';

export type InstallCrdsOptions = {
  /** How long all CRDs together may take to become Established (default 60 s). */
  timeoutMs?: number;
  /** Called after each CRD was applied, before waiting for any to be Established. */
  onApplied?: (crdName: string) => void;
};

/** Who owns the fields we apply (server-side apply), for CRDs and ClusterRoles alike. */
export const fieldManager = 'cfapi';
const pollIntervalMs = 250;

/**
 * Server-side applies every CRD of `deploy/helm/cf-k8s-api/files/crds/` (field manager `cfapi`, forced, so it takes over fields
 * an earlier install or Korifi's Helm chart owned), then waits until each one is Established, so objects of
 * the new kinds can be written as soon as it resolves.
 */
export async function installCrds(kubeConfig: KubeConfig, options: InstallCrdsOptions = {}): Promise<void> {
  const manifests = await loadCrdManifests();
  const objects = KubernetesObjectApi.makeApiClient(kubeConfig);
  for (const manifest of manifests) {
    await objects
      .patch(toClientModel(manifest), undefined, undefined, fieldManager, true, PatchStrategy.ServerSideApply)
      .catch((error: unknown) => {
        throw new Error(`applying CRD ${manifest.metadata.name} failed: ${messageOf(error)}`, { cause: error });
      });
    options.onApplied?.(manifest.metadata.name);
  }
  const extensions = kubeConfig.makeApiClient(ApiextensionsV1Api);
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = { at: Date.now() + timeoutMs, timeoutMs };
  await Promise.all(manifests.map((manifest) => waitUntilEstablished(extensions, manifest.metadata.name, deadline)));
}

/**
 * KubernetesObjectApi serializes built-in kinds through client-node's generated models, which read
 * `_enum`, `_default`, `x_kubernetes_map_type`…; a plain parsed manifest would lose those keywords on
 * the wire. client-node's own YAML loader builds that model (JSON is YAML).
 */
export function toClientModel(manifest: CrdManifest): V1CustomResourceDefinition {
  return loadYaml<V1CustomResourceDefinition>(JSON.stringify(manifest));
}

type Deadline = { at: number; timeoutMs: number };

async function waitUntilEstablished(api: ApiextensionsV1Api, name: string, deadline: Deadline): Promise<void> {
  let lastSeen = 'not read yet';
  while (Date.now() < deadline.at) {
    const crd = await api.readCustomResourceDefinition({ name }).catch((error: unknown) => {
      throw new Error(`reading CRD ${name} failed: ${messageOf(error)}`, { cause: error });
    });
    const conditions = crd.status?.conditions ?? [];
    const namesAccepted = conditions.find((condition) => condition.type === 'NamesAccepted');
    // A names conflict never resolves by waiting.
    if (namesAccepted?.status === 'False') throw new Error(`CRD ${name}: names not accepted: ${namesAccepted.message ?? ''}`);
    const established = conditions.find((condition) => condition.type === 'Established');
    if (established?.status === 'True') return;
    lastSeen = established
      ? `Established=${established.status} (${established.reason ?? ''}: ${established.message ?? ''})`
      : 'no Established condition';
    await sleep(pollIntervalMs);
  }
  throw new Error(`CRD ${name} was not Established within ${deadline.timeoutMs} ms; last seen: ${lastSeen}`);
}

/** The apiserver's own Status message when there is one (client-node's message also dumps every header). */
export function messageOf(error: unknown): string {
  if (error instanceof ApiException && typeof error.body === 'string') {
    const status = parseStatus(error.body);
    if (status?.message) return `${error.code} ${status.reason ?? ''}: ${status.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

function parseStatus(body: string): { message?: string; reason?: string } | undefined {
  try {
    return JSON.parse(body) as { message?: string; reason?: string };
  } catch {
    return undefined;
  }
}
