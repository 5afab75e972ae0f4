import { readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { NewObject, PolicyRule } from '../../store/objects.ts';
import { cfRoles } from './cf-roles.ts';

/** `deploy/helm/cf-k8s-api/files/cf-roles/`: one ClusterRole per CF role, the same on both backends. */
export const clusterRoleDirectory = resolve(import.meta.dirname, '../../../deploy/helm/cf-k8s-api/files/cf-roles');

export type ClusterRoleManifest = NewObject<'ClusterRole'> & { apiVersion: 'rbac.authorization.k8s.io/v1'; rules: PolicyRule[] };

/**
 * Every `*.yaml` of `directory` (one ClusterRole per file, in file-name order), checked to be a
 * ClusterRole with plain resource rules, and checked as a set to be exactly the ClusterRoles of `cfRoles`.
 */
export async function loadClusterRoleManifests(directory: string = clusterRoleDirectory): Promise<ClusterRoleManifest[]> {
  const { parse } = await import('yaml');
  const files = (await readdir(directory)).filter((file) => file.endsWith('.yaml') || file.endsWith('.yml')).sort();
  const manifests = await Promise.all(
    files.map(async (file) => checkedClusterRole(join(directory, file), parse(await readFile(join(directory, file), 'utf8')))),
  );
  return checkedSet(directory, manifests);
}

/** `generated/cf-roles.json`: deploy/helm/cf-k8s-api/files/cf-roles/ as JSON (`npm run generate`; `npm test` fails when it is stale). */
export const generatedClusterRoles = new URL('../../../generated/cf-roles.json', import.meta.url);

/**
 * The ClusterRoles of deploy/helm/cf-k8s-api/files/cf-roles/ from their generated JSON, checked as `loadClusterRoleManifests`
 * checks the YAML: what a start keeps in the store, without loading a YAML parser (parsing them cost
 * the start-up about 40 ms).
 */
export async function builtInClusterRoles(): Promise<ClusterRoleManifest[]> {
  const path = generatedClusterRoles.pathname;
  const documents: unknown = JSON.parse(await readFile(generatedClusterRoles, 'utf8'));
  if (!Array.isArray(documents)) throw new Error(`${path} is not a list of ClusterRoles`);
  return checkedSet(
    path,
    documents.map((document: unknown, index) => checkedClusterRole(`${path} [${index}]`, document)),
  );
}

function checkedSet(origin: string, manifests: ClusterRoleManifest[]): ClusterRoleManifest[] {
  const problems = cfRoleNameProblems(manifests.map((manifest) => manifest.metadata.name));
  if (problems.length > 0) throw new Error(`${origin}: ${problems.join('; ')}`);
  return manifests;
}

/** What keeps a set of ClusterRole names from being exactly the ones `cfRoles` names (empty when it is). */
export function cfRoleNameProblems(names: readonly string[]): string[] {
  const expected: string[] = Object.values(cfRoles).map((role) => role.clusterRole);
  const duplicates = names.filter((name, index) => names.indexOf(name) !== index);
  return [
    ...expected.filter((name) => !names.includes(name)).map((name) => `no ClusterRole ${name}`),
    ...names.filter((name) => !expected.includes(name)).map((name) => `ClusterRole ${name} carries no CF role`),
    ...duplicates.map((name) => `ClusterRole ${name} is defined twice`),
  ];
}

function checkedClusterRole(path: string, document: unknown): ClusterRoleManifest {
  if (!isClusterRole(document)) throw new Error(`${path} is not an rbac.authorization.k8s.io/v1 ClusterRole`);
  const bad = document.rules.findIndex((rule) => !isResourceRule(rule));
  if (bad >= 0) throw new Error(`${path}: rules[${bad}] needs non-empty apiGroups, resources and verbs (strings), and nothing else`);
  return document;
}

function isClusterRole(document: unknown): document is ClusterRoleManifest {
  const candidate = document as Partial<ClusterRoleManifest> | null;
  return (
    candidate?.apiVersion === 'rbac.authorization.k8s.io/v1' &&
    candidate.kind === 'ClusterRole' &&
    typeof candidate.metadata?.name === 'string' &&
    Array.isArray(candidate.rules)
  );
}

const ruleFields = new Set(['apiGroups', 'resources', 'verbs']);

/** CF roles grant kinds by group and resource only: no resource names, no non-resource URLs, no wildcards. */
function isResourceRule(rule: unknown): rule is PolicyRule {
  if (typeof rule !== 'object' || rule === null) return false;
  const { apiGroups, resources, verbs } = rule as PolicyRule;
  return Object.keys(rule).every((field) => ruleFields.has(field)) && [apiGroups, resources, verbs].every(isNameList);
}

function isNameList(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string' && item !== '*');
}

/** One permission a rule grants: a verb on a resource of an API group ('' is the core group). */
export type Grant = { apiGroup: string; resource: string; verb: string };

/** Every (group, resource, verb) the rules grant, each once, in a stable order. */
export function grantsOf(rules: readonly PolicyRule[]): Grant[] {
  const grants = rules.flatMap(({ apiGroups = [], resources = [], verbs }) =>
    apiGroups.flatMap((apiGroup) => resources.flatMap((resource) => verbs.map((verb) => ({ apiGroup, resource, verb })))),
  );
  const byKey = new Map(grants.map((grant) => [grantKey(grant), grant]));
  return [...byKey.keys()].sort().flatMap((key) => byKey.get(key) ?? []);
}

/** `group/resource:verb` (`core` for the core group), for sets and messages. */
export function grantKey({ apiGroup, resource, verb }: Grant): string {
  return `${apiGroup || 'core'}/${resource}:${verb}`;
}
