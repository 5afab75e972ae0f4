import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/** The Helm chart's files: the CRDs, the CF roles' ClusterRoles and the server's permissions. */
export const chartFilesDirectory = resolve(import.meta.dirname, '../../../deploy/helm/cf-k8s-api/files');

/** `server-permissions.yaml`: the one list of what the server's own credentials need (the chart renders its RBAC from it). */
export const serverPermissionsFile = join(chartFilesDirectory, 'server-permissions.yaml');

/** When an entry applies: every server, one that runs the reconcilers, or one that reads registry Secrets. */
export type PermissionNeed = 'always' | 'reconcilers' | 'registrySecrets';

const verbs = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'bind'] as const;
export type PermissionVerb = (typeof verbs)[number];

const entrySchema = z
  .object({
    need: z.enum(['always', 'reconcilers', 'registrySecrets']),
    scope: z.enum(['cluster', 'rootNamespace']),
    apiGroup: z.string(),
    resources: z.array(z.string().regex(/^[a-z]+(\/[a-z]+)?$/)).min(1),
    verbs: z.array(z.enum(verbs)).min(1),
    resourceNames: z.union([z.literal('cfRoles'), z.literal('registrySecrets'), z.array(z.string().min(1)).min(1)]).optional(),
    why: z.string().min(1),
  })
  .strict();

/** One entry of the list, as written (resourceNames may be a placeholder). */
export type PermissionEntry = z.infer<typeof entrySchema>;

const fileSchema = z.object({ permissions: z.array(entrySchema).min(1) }).strict();

/** One entry with its placeholders resolved: what a (Cluster)Role rule grants. */
export type Permission = Omit<PermissionEntry, 'resourceNames'> & { resourceNames?: string[] };

/** Every entry of server-permissions.yaml, checked. */
export async function loadPermissionEntries(file = serverPermissionsFile): Promise<PermissionEntry[]> {
  const parsed = fileSchema.safeParse(parseYaml(await readFile(file, 'utf8')));
  if (!parsed.success) throw new Error(`${file} is not a valid permission list:\n${z.prettifyError(parsed.error)}`);
  return parsed.data.permissions;
}

/** The names of the CF roles' ClusterRoles (files/cf-roles/), which are Korifi's names too. */
export async function cfRoleNames(): Promise<string[]> {
  const directory = join(chartFilesDirectory, 'cf-roles');
  const names: string[] = [];
  for (const file of (await readdir(directory)).filter((name) => name.endsWith('.yaml')).sort()) {
    const role = parseYaml(await readFile(join(directory, file), 'utf8')) as { metadata?: { name?: string } };
    if (role.metadata?.name) names.push(role.metadata.name);
  }
  return names.sort();
}

/** What a server with these settings needs: the entries that apply, placeholders resolved. */
export type PermissionSettings = { reconcilers: boolean; registrySecretNames: readonly string[] };

export async function requiredPermissions(settings: PermissionSettings, entries?: PermissionEntry[]): Promise<Permission[]> {
  const all = entries ?? (await loadPermissionEntries());
  const roles = await cfRoleNames();
  const applies = (need: PermissionNeed) =>
    need === 'always' ||
    (need === 'reconcilers' && settings.reconcilers) ||
    (need === 'registrySecrets' && settings.registrySecretNames.length > 0);
  return all
    .filter((entry) => applies(entry.need))
    .map(({ resourceNames, ...rest }) => {
      if (resourceNames === undefined) return rest;
      if (resourceNames === 'cfRoles') return { ...rest, resourceNames: roles };
      if (resourceNames === 'registrySecrets') return { ...rest, resourceNames: [...settings.registrySecretNames] };
      return { ...rest, resourceNames };
    });
}

/** One yes-or-no question to the apiserver: may I do `verb` on this resource (and name, and namespace)? */
export type AccessCheck = {
  group: string;
  resource: string;
  subresource?: string;
  verb: PermissionVerb;
  namespace?: string;
  name?: string;
};

/** Each permission as single access checks: one per resource, verb and name, in the root namespace for Role entries. */
export function accessChecks(permissions: readonly Permission[], rootNamespace: string): AccessCheck[] {
  return permissions.flatMap((permission) => {
    const namespace = permission.scope === 'rootNamespace' ? rootNamespace : undefined;
    return permission.resources.flatMap((path) => {
      const [resource = '', subresource] = path.split('/');
      return permission.verbs.flatMap((verb) =>
        (permission.resourceNames ?? [undefined]).map((name) => ({
          group: permission.apiGroup,
          resource,
          verb,
          ...(subresource ? { subresource } : {}),
          ...(namespace ? { namespace } : {}),
          ...(name ? { name } : {}),
        })),
      );
    });
  });
}

/** How a check reads in a message: `create tokenreviews.authentication.k8s.io`, `get secrets "x" in cf`. */
export function describeCheck(check: AccessCheck): string {
  const resource = `${check.resource}${check.subresource ? `/${check.subresource}` : ''}${check.group ? `.${check.group}` : ''}`;
  const name = check.name ? ` "${check.name}"` : '';
  const where = check.namespace ? ` in namespace ${check.namespace}` : ' (cluster-wide)';
  return `${check.verb} ${resource}${name}${where}`;
}
