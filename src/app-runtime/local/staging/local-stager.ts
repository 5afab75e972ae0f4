import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { StagingFailed, type BuilderDescription, type StagedDroplet, type StagingRequest } from '../../app-runtime.ts';
import { parseProcfile, readAppFile } from './app-files.ts';
import { abortError, detail, step, type StagingLog } from './build-steps.ts';
import {
  buildpackNamed,
  buildpacks,
  isBuildpackUrl,
  buildpackVersion,
  detectBuildpack,
  type Buildpack,
  type BuildContext,
  type Toolchains,
} from './buildpacks.ts';
import { deleteDropletArchive, dropletImage, isSafeGuid, packDroplet, unpackDropletArchive } from './droplets.ts';
import { unpackPackage } from './unpack-package.ts';

export type { Toolchains } from './buildpacks.ts';
export type { StagingLog, StagingLogLine } from './build-steps.ts';

/** The stack apps stage and run on: the host machine itself. */
export const localStack = 'cflinuxfs4';
/** Korifi's default stack, accepted as the same (manifests and the API's default name it). */
const aliasStacks = new Set(['', 'cflinuxfs3', localStack]);

/** CF's build error when no buildpack detects the app; the cf CLI recognises it and adds its hint. */
export const noAppDetected = 'NoAppDetectedError - An app was not successfully detected by any available buildpack';

export const dockerRefused =
  'The local runtime runs buildpack apps only: it cannot run the docker image of this app. Docker images need the kubernetes backend with Korifi.';

/** The Go toolchain's usual home, used when `go` is not on the PATH. */
const defaultGo = '/usr/local/go/bin/go';

/**
 * Stages apps on this machine with our own buildpacks (buildpacks.ts), which build with the host's
 * toolchains: unpacks the package into `<root>/staging/<buildGuid>/app`, picks the buildpack (named,
 * or detected in CF's order), builds, and archives the result as the droplet
 * `<root>/droplets/<buildGuid>.tgz` (image `local-droplet:<buildGuid>`). Unpacked (`unpackDroplet`),
 * the droplet holds the app in `app/`, as CF's droplets do: its start commands run there with
 * `/bin/sh -c` after its `.profile.d/*.sh` are sourced, as CF's launcher does (the running part's
 * launch script). Those scripts put the project's Node, the app's Python virtual environment or its
 * Go binary's directory first on PATH, naming the app dir as `$PWD`.
 */
export class LocalStager {
  /** The buildpacks in detection order and the stack, for /v3/buildpacks and /v3/stacks. */
  readonly builder: BuilderDescription = {
    buildpacks: buildpacks.map((buildpack) => ({ name: buildpack.name, version: buildpackVersion, stack: localStack })),
    stacks: [
      { name: localStack, description: 'The host machine: apps run as its processes, built with its toolchains' },
      { name: 'cflinuxfs3', description: 'The host machine (the same as cflinuxfs4, for manifests that name cflinuxfs3)' },
    ],
  };
  readonly #root: string;
  readonly #toolchains: Toolchains;
  readonly #inFlight = new Set<string>();
  #cleanedUp: Promise<void> | undefined;

  constructor(options: { root: string; toolchains?: Partial<Toolchains> }) {
    this.#root = options.root;
    this.#toolchains = {
      node: options.toolchains?.node ?? process.execPath,
      npm: options.toolchains?.npm ?? 'npm',
      go: options.toolchains?.go ?? (onPath('go') ? 'go' : defaultGo),
      python: options.toolchains?.python ?? 'python3',
    };
  }

  /** Stages; each line of output goes to `log` while it runs; rejects with StagingFailed (user-visible text) or an AbortError. */
  async stage(request: StagingRequest, signal: AbortSignal, log: StagingLog): Promise<StagedDroplet> {
    if (signal.aborted) throw abortError(signal);
    if (request.source.type === 'docker') throw new StagingFailed(dockerRefused);
    if (!isSafeGuid(request.buildGuid)) throw new Error(`Unexpected build GUID ${JSON.stringify(request.buildGuid)}`);
    if (!aliasStacks.has(request.stack)) {
      throw new StagingFailed(
        `The stack '${request.stack}' is not available: the local runtime stages on ${localStack} (the host machine; cflinuxfs3 is accepted as the same).`,
      );
    }
    const named = namedBuildpacks(request.buildpacks);
    if (this.#inFlight.has(request.buildGuid)) throw new Error(`The build ${request.buildGuid} is being staged already`);
    this.#inFlight.add(request.buildGuid);
    const buildDir = join(this.#root, 'staging', request.buildGuid);
    try {
      await (this.#cleanedUp ??= this.#removeLeftovers());
      const droplet = await this.#stageIn(buildDir, request, named, { signal, log });
      return droplet;
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      if (error instanceof StagingFailed) log({ text: `Staging failed: ${error.message}`, stream: 'stderr' });
      throw error;
    } finally {
      await rm(buildDir, { recursive: true, force: true, maxRetries: 3 });
      this.#inFlight.delete(request.buildGuid);
    }
  }

  /** Unpacks a droplet (`StagedDroplet.image` as stage() returned it) into an empty directory `dir`. */
  async unpackDroplet(image: string, dir: string): Promise<void> {
    await unpackDropletArchive(this.#root, image, dir);
  }

  /** Removes a droplet's archive (unknown: no error). */
  async deleteDroplet(image: string): Promise<void> {
    await deleteDropletArchive(this.#root, image);
  }

  async #stageIn(
    buildDir: string,
    request: StagingRequest,
    named: readonly Buildpack[],
    { signal, log }: { signal: AbortSignal; log: StagingLog },
  ): Promise<StagedDroplet> {
    const appDir = join(buildDir, 'app');
    await this.#unpack(request, buildDir, appDir, { signal, log });
    const chain = named.length > 0 ? named : await detected(appDir);
    const final = chain.at(-1)!;
    const context = this.#context(appDir, request, signal, log);
    const processTypes = parseProcfile((await readAppFile(appDir, 'Procfile')) ?? '');
    for (const [index, buildpack] of chain.entries()) {
      step(log, `${buildpack.title} Buildpack version ${buildpackVersion}${index < chain.length - 1 ? ' (supplying)' : ''}`);
      if (buildpack === final && processTypes.web === undefined) {
        const web = await final.defaultWeb(context);
        if (web !== undefined) processTypes.web = web;
      }
      await buildpack.compile(context);
    }
    await writeProfiles(appDir, chain, context);

    step(log, 'Creating the droplet');
    const bytes = await packDroplet(this.#root, request.buildGuid, buildDir);
    if (signal.aborted) {
      await deleteDropletArchive(this.#root, dropletImage(request.buildGuid));
      throw abortError(signal);
    }
    const types = Object.entries(processTypes).map(([type, command]) => `${type}: ${command}`);
    step(log, `Droplet created (${formatBytes(bytes)}); process types: ${types.length === 0 ? 'none' : types.join(', ')}`);
    return {
      processTypes,
      ports: [8080],
      stack: request.stack === '' ? localStack : request.stack,
      buildpack: final.name,
      image: dropletImage(request.buildGuid),
    };
  }

  /** The package's files into a fresh `appDir` (the zip goes to the build directory first: yauzl reads it at random). */
  async #unpack(request: StagingRequest, buildDir: string, appDir: string, { signal, log }: { signal: AbortSignal; log: StagingLog }) {
    if (request.source.type !== 'bits') throw new StagingFailed(dockerRefused);
    await rm(buildDir, { recursive: true, force: true });
    await mkdir(appDir, { recursive: true });
    step(log, 'Unpacking the app package');
    const zipFile = join(buildDir, 'package.zip');
    await pipeline(await request.source.open(), createWriteStream(zipFile), { signal });
    const { files } = await unpackPackage(zipFile, appDir, signal);
    await rm(zipFile, { force: true });
    if (signal.aborted) throw abortError(signal);
    detail(log, `${files} file${files === 1 ? '' : 's'}`);
  }

  /**
   * The environment of build commands: what the host's tools need from the server's environment
   * (hostToolEnvironment), the tools' settings (caches under `<root>/cache`, so any user can stage),
   * then the app's own variables, which win; the toolchains' directories come first on PATH.
   */
  #context(appDir: string, request: StagingRequest, signal: AbortSignal, log: StagingLog): BuildContext {
    const cacheDir = join(this.#root, 'cache');
    const { node, go } = this.#toolchains;
    const toolDirs = [dirname(node), ...(isAbsolute(go) ? [dirname(go)] : [])];
    const path = request.environment.PATH ?? process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin';
    const env: NodeJS.ProcessEnv = {
      ...hostToolEnvironment(process.env),
      NODE_ENV: 'production',
      npm_config_cache: join(cacheDir, 'npm'),
      npm_config_update_notifier: 'false',
      GOCACHE: join(cacheDir, 'go-build'),
      GOPATH: join(cacheDir, 'go-path'),
      // -modcacherw: module files the owner can delete (Go makes them read-only), so the root can be removed as any user.
      GOFLAGS: '-mod=mod -modcacherw',
      GOTOOLCHAIN: 'local',
      CGO_ENABLED: '0',
      PIP_DISABLE_PIP_VERSION_CHECK: '1',
      ...request.environment,
      PATH: [...toolDirs, path].join(delimiter),
      CF_STACK: localStack,
      MEMORY_LIMIT: `${request.memoryMB}m`,
    };
    return { appDir, cacheDir, toolchains: this.#toolchains, env, signal, log };
  }

  /** A server that stopped mid-staging left build directories and half-written droplets: they go before the first staging. */
  async #removeLeftovers(): Promise<void> {
    const staging = join(this.#root, 'staging');
    for (const name of await readdir(staging).catch(() => [])) {
      if (!this.#inFlight.has(name)) await rm(join(staging, name), { recursive: true, force: true });
    }
    const droplets = join(this.#root, 'droplets');
    for (const name of await readdir(droplets).catch(() => [])) {
      if (name.startsWith('.') && name.endsWith('.tmp')) await rm(join(droplets, name), { force: true });
    }
  }
}

/** The buildpacks a request names, or a `StagingFailed` with CF's text for the first one we do not have. */
function namedBuildpacks(names: readonly string[]): Buildpack[] {
  return names.map((name) => {
    const buildpack = buildpackNamed(name);
    if (buildpack !== undefined) return buildpack;
    if (isBuildpackUrl(name)) {
      throw new StagingFailed(
        `Buildpack "${name}" cannot be fetched: the local runtime stages with its own buildpacks only (${buildpacks.map((known) => known.name).join(', ')}).`,
      );
    }
    throw new StagingFailed(`Buildpack "${name}" must be an existing admin buildpack or a valid git URI`);
  });
}

async function detected(appDir: string): Promise<Buildpack[]> {
  const buildpack = await detectBuildpack(appDir);
  if (buildpack === undefined) throw new StagingFailed(noAppDetected);
  return [buildpack];
}

/** Each buildpack's `.profile.d` script, named so that they run in the buildpacks' order and before the app's own. */
async function writeProfiles(appDir: string, chain: readonly Buildpack[], context: BuildContext): Promise<void> {
  for (const [index, buildpack] of chain.entries()) {
    const script = buildpack.profile(context);
    if (script === undefined) continue;
    await mkdir(join(appDir, '.profile.d'), { recursive: true });
    await writeFile(join(appDir, '.profile.d', `00${index}_local_${buildpack.name}.sh`), script, { mode: 0o644 });
  }
}

/**
 * What build tools need of the server's environment, and nothing else (its own settings and
 * credentials stay out of builds, which run the app's scripts): PATH, HOME, locale, temporary
 * directory, proxies, CA certificates, and the settings of pip, Go and pyenv.
 */
export function hostToolEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const kept = (name: string) =>
    /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|LC_[A-Z]+|TZ|TMPDIR|TERM)$/.test(name) ||
    /^(http_proxy|https_proxy|no_proxy|all_proxy)$/i.test(name) ||
    /^(SSL_CERT_FILE|SSL_CERT_DIR|NODE_EXTRA_CA_CERTS|REQUESTS_CA_BUNDLE|CURL_CA_BUNDLE|GIT_SSL_CAINFO)$/.test(name) ||
    /^(PIP_[A-Z_]+|PYENV_[A-Z_]+|GO(PROXY|NOPROXY|PRIVATE|NOSUMDB|NOSUMCHECK|SUMDB|INSECURE|ROOT))$/.test(name);
  return Object.fromEntries(Object.entries(env).filter(([name]) => kept(name)));
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, command)));
}

function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes}B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)}K`;
  return `${(bytes / 1024 / 1024).toFixed(1)}M`;
}
