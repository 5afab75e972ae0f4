import { isDeepStrictEqual } from 'node:util';
import {
  crdDirectory,
  loadCrdManifests,
  type CrdManifest,
  type CrdSchema,
  type CrdVersion,
  type PrinterColumn,
} from '../src/store/kubernetes/crd-manifests.ts';

/**
 * `node scripts/check-crd-compat.ts <korifi-crd-dir>`: compares our `deploy/helm/cf-k8s-api/files/crds/` with Korifi's CRD YAMLs,
 * field by field, so objects written by either side validate and round-trip (without pruning) under the
 * other's CRDs. Every non-documentation keyword counts (type, format, enum, pattern, default, bounds,
 * x-kubernetes-*), as do required lists and fields only one side has. Korifi kinds we do not ship are
 * ignored. Exits 1 on any difference. A by-hand check: the Korifi directory is not part of this repository.
 */

/** Keywords that only document; the walk handles the structural ones itself. */
const documentationOnly = new Set(['description', 'example', 'externalDocs', 'title']);
const walkedKeywords = new Set(['properties', 'items', 'additionalProperties', 'required']);

type Report = { problems: string[]; fields: number };

function compareSchemas(theirs: CrdSchema | undefined, ours: CrdSchema | undefined, path: string, report: Report): void {
  if (theirs === undefined || ours === undefined) {
    report.problems.push(theirs === undefined ? `${path}: only in ours (Korifi would prune it)` : `${path}: missing in ours`);
    return;
  }
  report.fields += 1;
  compareKeywords(theirs, ours, path, report);
  compareRequired(theirs.required ?? [], ours.required ?? [], path, report);
  compareChildren(theirs, ours, path, report);
}

function compareChildren(theirs: CrdSchema, ours: CrdSchema, path: string, report: Report): void {
  const names = new Set([...Object.keys(theirs.properties ?? {}), ...Object.keys(ours.properties ?? {})]);
  for (const name of [...names].sort()) compareSchemas(theirs.properties?.[name], ours.properties?.[name], `${path}.${name}`, report);
  if (theirs.items !== undefined || ours.items !== undefined) compareSchemas(theirs.items, ours.items, `${path}[]`, report);
  compareAdditionalProperties(theirs.additionalProperties, ours.additionalProperties, path, report);
}

function compareKeywords(theirs: CrdSchema, ours: CrdSchema, path: string, report: Report): void {
  const keywords = new Set([...Object.keys(theirs), ...Object.keys(ours)]);
  for (const keyword of [...keywords].sort()) {
    if (documentationOnly.has(keyword) || walkedKeywords.has(keyword)) continue;
    const [their, our] = keyword === 'enum' ? [sorted(theirs.enum), sorted(ours.enum)] : [theirs[keyword], ours[keyword]];
    if (!isDeepStrictEqual(their, our)) report.problems.push(`${path}: ${keyword} differs: Korifi ${show(their)}, ours ${show(our)}`);
  }
}

function compareRequired(theirs: string[], ours: string[], path: string, report: Report): void {
  for (const name of theirs.filter((field) => !ours.includes(field)))
    report.problems.push(`${path}.${name}: required by Korifi, optional in ours`);
  for (const name of ours.filter((field) => !theirs.includes(field)))
    report.problems.push(`${path}.${name}: required in ours, optional in Korifi`);
}

function compareAdditionalProperties(
  theirs: CrdSchema['additionalProperties'],
  ours: CrdSchema['additionalProperties'],
  path: string,
  report: Report,
) {
  if (typeof theirs === 'object' && typeof ours === 'object') compareSchemas(theirs, ours, `${path}{}`, report);
  else if (theirs !== ours) report.problems.push(`${path}: additionalProperties differs: Korifi ${show(theirs)}, ours ${show(ours)}`);
}

function compareCrd(theirs: CrdManifest, ours: CrdManifest): Report {
  const report: Report = { problems: [], fields: 0 };
  const expectSame = (what: string, their: unknown, our: unknown) => {
    if (!isDeepStrictEqual(their, our)) report.problems.push(`${what} differs: Korifi ${show(their)}, ours ${show(our)}`);
  };
  expectSame('metadata.name', theirs.metadata.name, ours.metadata.name);
  expectSame('group', theirs.spec.group, ours.spec.group);
  expectSame('names', theirs.spec.names, ours.spec.names);
  expectSame('scope', theirs.spec.scope, ours.spec.scope);
  expectSame(
    'versions',
    theirs.spec.versions.map((version) => version.name),
    ours.spec.versions.map((version) => version.name),
  );
  for (const theirVersion of theirs.spec.versions) {
    const ourVersion = ours.spec.versions.find((version) => version.name === theirVersion.name);
    if (ourVersion) compareVersion(theirVersion, ourVersion, report);
  }
  return report;
}

function compareVersion(theirs: CrdVersion, ours: CrdVersion, report: Report): void {
  const prefix = `versions[${theirs.name}]`;
  for (const field of ['served', 'storage', 'subresources'] as const) {
    if (!isDeepStrictEqual(theirs[field], ours[field])) {
      report.problems.push(`${prefix}.${field} differs: Korifi ${show(theirs[field])}, ours ${show(ours[field])}`);
    }
  }
  for (const column of theirs.additionalPrinterColumns ?? []) {
    const ourColumn = ours.additionalPrinterColumns?.find((candidate) => candidate.name === column.name);
    if (!ourColumn) report.problems.push(`${prefix} printer column "${column.name}": missing in ours`);
    else if (!isDeepStrictEqual(withoutDescription(column), withoutDescription(ourColumn))) {
      report.problems.push(`${prefix} printer column "${column.name}" differs: Korifi ${show(column)}, ours ${show(ourColumn)}`);
    }
  }
  compareSchemas(theirs.schema.openAPIV3Schema, ours.schema.openAPIV3Schema, `${prefix} schema`, report);
}

function withoutDescription(column: PrinterColumn): Record<string, unknown> {
  return Object.fromEntries(Object.entries(column).filter(([key]) => key !== 'description'));
}

function sorted(values: unknown[] | undefined): unknown[] | undefined {
  return values && [...values].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

function show(value: unknown): string {
  return value === undefined ? '(none)' : JSON.stringify(value);
}

async function main(): Promise<number> {
  const [korifiDirectory] = process.argv.slice(2);
  if (!korifiDirectory) {
    process.stderr.write('Usage: node scripts/check-crd-compat.ts <korifi-crd-dir>\n');
    return 2;
  }
  const [ours, theirs] = await Promise.all([loadCrdManifests(crdDirectory), loadCrdManifests(korifiDirectory)]);
  let problems = 0;
  let fields = 0;
  for (const crd of ours) {
    const korifi = theirs.find((candidate) => candidate.metadata.name === crd.metadata.name);
    const report = korifi ? compareCrd(korifi, crd) : { problems: [`no Korifi CRD named ${crd.metadata.name}`], fields: 0 };
    problems += report.problems.length;
    fields += report.fields;
    const verdict = report.problems.length === 0 ? 'ok' : `${report.problems.length} difference(s)`;
    process.stdout.write(`${crd.spec.names.kind} (${crd.metadata.name}): ${report.fields} schema fields, ${verdict}\n`);
    for (const problem of report.problems) process.stdout.write(`  - ${problem}\n`);
  }
  const skipped = theirs
    .filter((korifi) => !ours.some((crd) => crd.metadata.name === korifi.metadata.name))
    .map((korifi) => korifi.spec.names.kind);
  process.stdout.write(`\n${ours.length} CRDs compared, ${fields} schema fields, ${problems} difference(s).\n`);
  process.stdout.write(`Korifi kinds we do not ship (not compared): ${skipped.sort().join(', ') || 'none'}\n`);
  return problems === 0 ? 0 : 1;
}

process.exitCode = await main();
