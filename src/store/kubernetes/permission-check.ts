import type { KubeConfig } from '@kubernetes/client-node';
import { RestClient } from './rest-client.ts';
import { accessChecks, describeCheck, requiredPermissions, type AccessCheck, type PermissionSettings } from './server-permissions.ts';

type AccessReview = { status?: { allowed?: boolean; reason?: string; evaluationError?: string } };

/** Reviews asked at once: enough to finish in a few round trips, few enough not to flood the apiserver. */
const concurrency = 16;

/**
 * Asks the apiserver, one SelfSubjectAccessReview per resource, verb and name, whether the server's
 * own credentials hold every permission of `deploy/helm/cf-k8s-api/files/server-permissions.yaml` that
 * these settings need; resolves with the ones they lack (empty: all there). A server started without
 * one would fail later, on some request or in a reconciler, with a 403 far from its cause.
 */
export async function missingServerPermissions(
  config: KubeConfig,
  settings: PermissionSettings & { rootNamespace: string },
): Promise<AccessCheck[]> {
  const checks = accessChecks(await requiredPermissions(settings), settings.rootNamespace);
  const client = new RestClient(config);
  try {
    // Credentials that may do anything (cluster-admin, system:masters) need no question per permission.
    if (await review(client, { group: '*', resource: '*', verb: '*' })) return [];
    const allowed = new Array<boolean>(checks.length);
    let next = 0;
    const worker = async () => {
      while (next < checks.length) {
        const index = next++;
        allowed[index] = await review(client, checks[index]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, checks.length) }, worker));
    return checks.filter((_, index) => !allowed[index]);
  } finally {
    client.close();
  }
}

/** Fails, naming every missing permission, unless the server's credentials hold all it needs. */
export async function checkServerPermissions(config: KubeConfig, settings: PermissionSettings & { rootNamespace: string }): Promise<void> {
  const missing = await missingServerPermissions(config, settings);
  if (missing.length === 0) return;
  const user = config.getCurrentUser()?.name ?? '(unnamed)';
  throw new Error(
    `the server's credentials (kubeconfig user ${user}) lack ${missing.length} permission(s) it needs ` +
      `(README "Permissions of the server"; the Helm chart grants them):\n` +
      missing.map((check) => `  - ${describeCheck(check)}`).join('\n'),
  );
}

async function review(client: RestClient, check: AccessCheck | { group: '*'; resource: '*'; verb: '*' }): Promise<boolean> {
  const answer = await client.request<AccessReview>({
    method: 'POST',
    path: '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { ...check } },
    },
  });
  return answer.status?.allowed === true;
}
