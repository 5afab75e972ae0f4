import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { cfRoleOfClusterRole } from '../src/domain/roles/cf-roles.ts';
import { grantKey, grantsOf, loadClusterRoleManifests } from '../src/domain/roles/cluster-role-manifests.ts';
import type { PolicyRule } from '../src/store/objects.ts';

/**
 * `node scripts/check-cf-roles-compat.ts <korifi-cf-roles-dir>`: compares our `deploy/helm/cf-k8s-api/files/cf-roles/` with
 * Korifi's CF-role ClusterRoles, as the (apiGroup, resource, verb) grants each side gives, so that a
 * user bound by either side can do the same things. Prints, per Korifi ClusterRole, what only Korifi
 * grants and what only we grant, then the roles Korifi does not ship. Exits 1 when Korifi grants
 * something we do not (our additions are listed, not failed). A by-hand check: the Korifi directory is
 * not part of this repository.
 */

type Role = { name: string; rules: PolicyRule[] };

async function loadKorifiRoles(directory: string): Promise<Role[]> {
  const files = (await readdir(directory)).filter((file) => file.endsWith('.yaml') || file.endsWith('.yml')).sort();
  return Promise.all(
    files.map(async (file) => {
      const document = parse(await readFile(join(directory, file), 'utf8')) as {
        kind?: string;
        metadata?: { name?: string };
        rules?: PolicyRule[];
      };
      if (document.kind !== 'ClusterRole' || typeof document.metadata?.name !== 'string') throw new Error(`${file} is not a ClusterRole`);
      return { name: document.metadata.name, rules: document.rules ?? [] };
    }),
  );
}

function difference(left: readonly PolicyRule[], right: readonly PolicyRule[]): string[] {
  const rightKeys = new Set(grantsOf(right).map(grantKey));
  return grantsOf(left)
    .map(grantKey)
    .filter((key) => !rightKeys.has(key));
}

function report(theirs: Role, ours: Role | undefined): number {
  const label = `${theirs.name} (${cfRoleOfClusterRole(theirs.name) ?? 'no CF role'})`;
  if (!ours) {
    process.stdout.write(`${label}: missing in ours\n`);
    return 1;
  }
  const onlyKorifi = difference(theirs.rules, ours.rules);
  const onlyOurs = difference(ours.rules, theirs.rules);
  const verdict =
    onlyKorifi.length === 0 && onlyOurs.length === 0
      ? 'same grants'
      : `${onlyKorifi.length} only in Korifi, ${onlyOurs.length} only in ours`;
  process.stdout.write(`${label}: ${grantsOf(theirs.rules).length} Korifi grants, ${verdict}\n`);
  for (const key of onlyKorifi) process.stdout.write(`  - only Korifi grants ${key}\n`);
  for (const key of onlyOurs) process.stdout.write(`  + only ours grants  ${key}\n`);
  return onlyKorifi.length;
}

async function main(): Promise<number> {
  const [korifiDirectory] = process.argv.slice(2);
  if (!korifiDirectory) {
    process.stderr.write('Usage: node scripts/check-cf-roles-compat.ts <korifi-cf-roles-dir>\n');
    return 2;
  }
  const [ours, theirs] = await Promise.all([loadClusterRoleManifests(), loadKorifiRoles(korifiDirectory)]);
  const ourRoles: Role[] = ours.map((manifest) => ({ name: manifest.metadata.name, rules: manifest.rules }));
  let missing = 0;
  for (const korifi of theirs)
    missing += report(
      korifi,
      ourRoles.find((role) => role.name === korifi.name),
    );
  const derived = ourRoles.filter((role) => !theirs.some((korifi) => korifi.name === role.name));
  process.stdout.write(`\n${theirs.length} Korifi ClusterRoles compared; ${missing} Korifi grant(s) missing in ours.\n`);
  process.stdout.write(`Ours that Korifi does not ship (derived, not compared):\n`);
  for (const role of derived)
    process.stdout.write(`  ${role.name} (${cfRoleOfClusterRole(role.name) ?? '?'}): ${grantsOf(role.rules).length} grants\n`);
  return missing === 0 ? 0 : 1;
}

process.exitCode = await main();
