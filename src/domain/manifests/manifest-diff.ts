import type { components } from '../../../generated/openapi-types.ts';
import { notAuthorized } from '../../errors/api-error.ts';
import { presentAppManifest } from '../../presenters/app-manifest.ts';
import { listApps, type App } from '../apps/app-service.ts';
import type { RequestContext } from '../request-context.ts';
import { listServiceBindings } from '../services/service-bindings.ts';
import { listServiceInstances } from '../services/service-instances.ts';
import { mayI } from '../store-failures.ts';
import { getSpace } from '../tenancy/space-service.ts';
import { readAppManifestSources } from './app-manifest.ts';
import { instancesLimitOf } from '../processes/instance-limit.ts';
import { megabytesOf, normalizeManifest, type Manifest, type ManifestApplication } from './manifest-normalizer.ts';

export type ManifestDiffEntry = components['schemas']['ManifestDiff']['diff'][number];
type ManifestProcess = components['schemas']['ManifestProcess'];
type Fields = Record<string, unknown>;

/** What applying the manifest would find: the app's manifest as `GET /v3/apps/{guid}/manifest` renders it, its labels and bound instances. */
type Current = { manifest: ManifestApplication; app: App; boundInstances: Set<string> };

/** The settings of a process, which a manifest may also give at the app's level (for `web`). */
const processKeys = [
  'command',
  'instances',
  'memory',
  'disk_quota',
  'disk-quota',
  'health-check-type',
  'health-check-http-endpoint',
  'health-check-invocation-timeout',
  'timeout',
] as const;

/**
 * What applying the manifest to the space would change, in Cloud Controller's diff format: one
 * operation per changed value, its path a JSON Pointer into the posted manifest (the cf CLI prints the
 * posted manifest with these marked). Applying is additive, so what the manifest leaves out is no
 * change: variables, labels, routes, buildpacks and bindings are only ever added or replaced. An app
 * that does not exist yet is all additions. Checked as an apply is (same caller, same 422s).
 */
export async function diffManifest(context: RequestContext, spaceGuid: string, manifest: Manifest): Promise<ManifestDiffEntry[]> {
  const space = await getSpace(context, spaceGuid);
  const namespace = space.metadata.name;
  if (!(await mayI(context, 'create', { kind: 'CFApp', namespace }, 'App'))) throw notAuthorized();
  normalizeManifest(manifest, { instancesPerProcess: instancesLimitOf(context.config) });
  const diff: ManifestDiffEntry[] = [];
  for (const [index, posted] of (manifest.applications ?? []).entries()) {
    const base = `/applications/${index}`;
    const [app] = await listApps(context, { names: [posted.name], spaceGuids: [namespace] });
    if (app === undefined) diff.push(...additionsOf(base, posted));
    else diff.push(...diffApp(base, posted, await currentOf(context, app)));
  }
  return diff;
}

/** Keys the API acts on; others (`path`, `sidecars`, `features`, …) change nothing here. */
const appliedKeys = new Set<string>([
  'name',
  'env',
  'buildpacks',
  'buildpack',
  'stack',
  'docker',
  'routes',
  'services',
  'processes',
  'metadata',
  'default-route',
  'random-route',
  'no-route',
  ...processKeys,
]);

const pointer = (...segments: (string | number)[]): string =>
  segments.map((segment) => String(segment).replaceAll('~', '~0').replaceAll('/', '~1')).join('/');

function additionsOf(base: string, posted: ManifestApplication): ManifestDiffEntry[] {
  return Object.entries(posted)
    .filter(([key]) => appliedKeys.has(key))
    .map(([key, value]) => ({ op: 'add' as const, path: `${base}/${pointer(key)}`, value }));
}

async function currentOf(context: RequestContext, app: App): Promise<Current> {
  const manifest = presentAppManifest(await readAppManifestSources(context, app.metadata.name)).applications![0]!;
  const bindings = await listServiceBindings(context, { appGuids: [app.metadata.name], type: 'app' });
  const instanceGuids = bindings.map((binding) => binding.spec.service.name ?? '');
  const instances = instanceGuids.length === 0 ? [] : await listServiceInstances(context, { guids: instanceGuids });
  return { manifest, app, boundInstances: new Set(instances.map((instance) => instance.spec.displayName)) };
}

type KeyDiff = (base: string, posted: ManifestApplication, current: Current) => ManifestDiffEntry[];

const keyDiffs: Record<string, KeyDiff> = {
  env: (base, posted, { manifest }) => mapDiff(`${base}/env`, posted.env ?? {}, manifest.env ?? {}),
  metadata: (base, posted, { app }) => [
    ...mapDiff(`${base}/metadata/labels`, posted.metadata?.labels ?? {}, app.metadata.labels ?? {}),
    ...mapDiff(`${base}/metadata/annotations`, posted.metadata?.annotations ?? {}, app.metadata.annotations ?? {}),
  ],
  buildpacks: (base, posted, { manifest }) => listAdditions(`${base}/buildpacks`, posted.buildpacks ?? [], manifest.buildpacks ?? []),
  buildpack: (base, posted, { manifest }) => scalarDiff(`${base}/buildpack`, posted.buildpack, manifest.buildpacks?.[0]),
  stack: (base, posted, { manifest }) => scalarDiff(`${base}/stack`, posted.stack, manifest.stack),
  docker: (base, posted, { manifest }) => scalarDiff(`${base}/docker/image`, posted.docker?.image, manifest.docker?.image),
  routes: (base, posted, { manifest }) =>
    listAdditions(
      `${base}/routes`,
      (posted.routes ?? []).map((route) => route.route.toLowerCase()),
      (manifest.routes ?? []).map((route) => route.route.toLowerCase()),
    ).map((entry) => ({ ...entry, value: (posted.routes ?? [])[Number(entry.path.split('/').pop())] })),
  services: (base, posted, { boundInstances }) =>
    (posted.services ?? []).flatMap((service, index) =>
      boundInstances.has(typeof service === 'string' ? service : service.name)
        ? []
        : [{ op: 'add' as const, path: `${base}/services/${index}`, value: service }],
    ),
  processes: (base, posted, { manifest }) =>
    (posted.processes ?? []).flatMap((process, index) => {
      const current = manifest.processes?.find((candidate) => candidate.type === process.type);
      const path = `${base}/processes/${index}`;
      return current === undefined ? [{ op: 'add' as const, path, value: process }] : processDiff(path, process, current);
    }),
  'no-route': (base, posted, { manifest }) =>
    posted['no-route'] === true && (manifest.routes ?? []).length > 0 ? [{ op: 'add', path: `${base}/no-route`, value: true }] : [],
  'default-route': (base, posted, current) => routeFlagDiff(base, 'default-route', posted, current),
  'random-route': (base, posted, current) => routeFlagDiff(base, 'random-route', posted, current),
};

function diffApp(base: string, posted: ManifestApplication, current: Current): ManifestDiffEntry[] {
  const web = current.manifest.processes?.find((process) => process.type === 'web');
  return Object.keys(posted).flatMap((key) => {
    const keyDiff = keyDiffs[key];
    if (keyDiff !== undefined) return keyDiff(base, posted, current);
    if ((processKeys as readonly string[]).includes(key)) {
      return processFieldDiff(`${base}/${pointer(key)}`, key, (posted as Fields)[key], web);
    }
    return [];
  });
}

/** A default or random route is mapped only when the app has no routes and the manifest names none. */
function routeFlagDiff(
  base: string,
  key: 'default-route' | 'random-route',
  posted: ManifestApplication,
  { manifest }: Current,
): ManifestDiffEntry[] {
  const maps = posted[key] === true && posted.routes === undefined && posted['no-route'] !== true && (manifest.routes ?? []).length === 0;
  return maps ? [{ op: 'add', path: `${base}/${key}`, value: true }] : [];
}

function processDiff(path: string, posted: ManifestProcess, current: ManifestProcess): ManifestDiffEntry[] {
  return Object.keys(posted)
    .filter((key) => (processKeys as readonly string[]).includes(key))
    .flatMap((key) => processFieldDiff(`${path}/${pointer(key)}`, key, (posted as Fields)[key], current));
}

/** One process setting against the process's current one (amounts in megabytes, `none` as `process`). */
function processFieldDiff(path: string, key: string, value: unknown, current: ManifestProcess | undefined): ManifestDiffEntry[] {
  const currentKey = key === 'disk-quota' ? 'disk_quota' : key;
  const was = current === undefined ? undefined : (current as Fields)[currentKey];
  if (sameSetting(key, value, was)) return [];
  return was === undefined ? [{ op: 'add', path, value }] : [{ op: 'replace', path, was, value }];
}

function sameSetting(key: string, value: unknown, was: unknown): boolean {
  if (key === 'memory' || key === 'disk_quota' || key === 'disk-quota') {
    return typeof value === 'string' && typeof was === 'string' && megabytesOf(value) === megabytesOf(was);
  }
  if (key === 'health-check-type') return (value === 'none' ? 'process' : value) === was;
  if (key === 'command') return (value ?? '') === (was ?? '');
  return value === was;
}

function scalarDiff(path: string, value: unknown, was: unknown): ManifestDiffEntry[] {
  if (value === undefined || value === was) return [];
  return was === undefined ? [{ op: 'add', path, value }] : [{ op: 'replace', path, was, value }];
}

/** Keys of a map the apply merges: new keys are added, changed ones replaced, missing ones stay. */
function mapDiff(path: string, posted: Record<string, unknown>, current: Record<string, unknown>): ManifestDiffEntry[] {
  return Object.entries(posted).flatMap(([key, value]): ManifestDiffEntry[] => {
    const was = current[key];
    const target = `${path}/${pointer(key)}`;
    if (value === null) return was === undefined ? [] : [{ op: 'remove', path: target, was }];
    if (was === undefined) return [{ op: 'add', path: target, value }];
    return textOf(was) === textOf(value) ? [] : [{ op: 'replace', path: target, was, value }];
  });
}

/** Variables are kept as text: 8080 and "8080" are the same value. */
const textOf = (value: unknown): string => (typeof value === 'string' ? value : JSON.stringify(value));

/** Entries of a list the apply adds to: each one not there yet is an addition at its place in the posted list. */
function listAdditions(path: string, posted: readonly string[], current: readonly string[]): ManifestDiffEntry[] {
  return posted.flatMap((value, index) => (current.includes(value) ? [] : [{ op: 'add' as const, path: `${path}/${index}`, value }]));
}
