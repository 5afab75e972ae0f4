import { expect } from 'chai';
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { chmod, chown, cp, mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import type { ControlPlane } from '../../scripts/control-plane/control-plane.ts';
import { newRoleBinding } from '../../src/domain/roles/role-binding.ts';
import { KubernetesStore } from '../../src/store/kubernetes/kubernetes-store.ts';
import { adminKubeConfig, sharedControlPlane } from '../support/control-plane.ts';
import { freePort } from '../support/server-process.ts';
import { authHeaders, contractFetch } from '../support/test-server.ts';
import { uniqueName } from '../store/fixture.ts';
import { contextFiles, inspectDockerfile, repoRoot, type Inspected, type Instruction } from './support.ts';

// The image without a container engine: no base image can be pulled here, so the Dockerfile is carried
// out on this machine, instruction by instruction, from BuildKit's parse of it (dockerfile-lint inspect):
// the build context is the repository through .dockerignore (BuildKit's matcher), each stage gets a
// directory of its own standing for its root filesystem, COPY copies from the context or an earlier
// stage, the build stage's `npm ci` runs there with npm's cache only (no network), and the final stage's
// files are root's, as in the image. The server then runs as the Dockerfile's ENTRYPOINT and CMD with the
// project's Node 24 standing for the base image's, as the Dockerfile's numeric USER (the tests run as
// root, as CI does, to set owners and switch users), in the image's environment, with the paths of that
// environment (config, data directory, TMPDIR) inside the final stage's directory: the config file is
// written where the image expects it mounted. The final stage's directory is mounted read-only for the
// server (in a private mount namespace) but for the data directory and TMPDIR, as readOnlyRootFilesystem
// and the chart's emptyDirs make it. An instruction the emulation does not know fails the test rather
// than being skipped. What this does not show: the base image itself (its Node build, its libraries, its
// /etc/passwd) and the file modes BuildKit would give.

type Emulated = {
  inspected: Inspected;
  base: string;
  /** The final stage's root filesystem. */
  root: string;
  workdir: string;
  env: Record<string, string>;
  user: { uid: number; gid: number };
  entrypoint: string[];
  cmd: string[];
};

const isRoot = process.getuid?.() === 0;
const globChars = /[*?[\]]/;

async function emulateImage(): Promise<Emulated> {
  const inspected = await inspectDockerfile();
  const base = await mkdtemp(join(tmpdir(), 'cfapi-image-'));
  await chmod(base, 0o755); // the unprivileged user walks through it to the app, as through /
  const context = join(base, 'context');
  for (const file of await contextFiles()) {
    await mkdir(dirname(join(context, file)), { recursive: true });
    await cp(join(repoRoot, file), join(context, file));
  }

  const roots = new Map<string, string>();
  let state: StageState | undefined;
  for (const [index, stage] of inspected.stages.entries()) {
    if (roots.has(stage.base)) throw new Error(`the emulation does not build on another stage (${stage.base})`);
    const root = join(base, `stage-${index}`);
    await mkdir(root, { mode: 0o755 });
    state = { root, context, roots, isFinal: index === inspected.stages.length - 1, workdir: '/', env: {}, entrypoint: [], cmd: [] };
    for (const instruction of stage.instructions) {
      const handler = instructionHandlers[instruction.instruction];
      if (!handler) throw new Error(`the emulation does not know ${instruction.instruction}: ${instruction.source}`);
      await handler(instruction, state);
    }
    if (stage.name !== '') roots.set(stage.name, root);
  }
  if (!state?.user) throw new Error('the final stage has no USER');
  const { root, workdir, env, user, entrypoint, cmd } = state;
  return { inspected, base, root, workdir, env, user, entrypoint, cmd };
}

/** One stage being carried out: its root filesystem's directory and what its instructions set so far. */
type StageState = {
  root: string;
  context: string;
  roots: Map<string, string>;
  isFinal: boolean;
  workdir: string;
  env: Record<string, string>;
  user?: { uid: number; gid: number };
  entrypoint: string[];
  cmd: string[];
};

const inRoot = (state: StageState, path: string) => join(state.root, path);

const instructionHandlers: Record<string, (i: Instruction, state: StageState) => Promise<void> | void> = {
  WORKDIR: async (i, state) => {
    state.workdir = posix.resolve(state.workdir, i.path!);
    await mkdir(inRoot(state, state.workdir), { recursive: true, mode: 0o755 });
  },
  COPY: emulateCopy,
  RUN: (i, state) => emulateRun(i.command!.join(' '), state),
  ENV: (i, state) => {
    for (const { key, value } of i.keyValues ?? []) state.env[key] = value;
  },
  USER: (i, state) => {
    const match = /^(\d+):(\d+)$/.exec(i.user!);
    if (!match) throw new Error(`USER ${i.user} is not numeric uid:gid`);
    state.user = { uid: Number(match[1]), gid: Number(match[2]) };
  },
  ENTRYPOINT: (i, state) => {
    state.entrypoint = i.command!;
  },
  CMD: (i, state) => {
    state.cmd = i.command!;
  },
  LABEL: () => {},
  EXPOSE: () => {},
};

/** COPY from the build context or an earlier stage, as root (no --chown or --chmod in the Dockerfile). */
async function emulateCopy(i: Instruction, state: StageState): Promise<void> {
  if (i.chmod || i.chown) throw new Error(`the emulation does not know COPY --chmod/--chown: ${i.source}`);
  const from = i.from ? state.roots.get(i.from) : state.context;
  if (!from) throw new Error(`COPY --from=${i.from}: no such stage`);
  const sources = i.sources ?? [];
  const dest = posix.resolve(state.workdir, i.dest!);
  const intoDirectory = i.dest!.endsWith('/') || sources.length > 1;
  for (const source of sources) {
    const path = copySourcePath(i, from, source);
    const isDirectory = (await stat(path)).isDirectory();
    const target = isDirectory || !intoDirectory ? inRoot(state, dest) : inRoot(state, posix.join(dest, basename(source)));
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    await cp(path, target, { recursive: true });
  }
}

function copySourcePath(i: Instruction, from: string, source: string): string {
  if (globChars.test(source) || source.includes('$')) throw new Error(`the emulation does not expand COPY sources: ${source}`);
  const path = join(from, source);
  if (!existsSync(path)) {
    throw new Error(`${i.source}: ${source} is not in ${i.from ? `stage ${i.from}` : 'the build context (see .dockerignore)'}`);
  }
  return path;
}

/** The RUN lines the Dockerfile has: npm ci in the build stage, the data directory in the final one. */
async function emulateRun(command: string, state: StageState): Promise<void> {
  if (!state.isFinal && /^npm ci( --[a-z-]+(=[a-z]+)?)*$/.test(command)) {
    const result = await runCommand('sh', ['-c', command], {
      cwd: inRoot(state, state.workdir),
      // The project's Node 24 for npm, and npm's cache only: the repository's own install filled it.
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`, npm_config_offline: 'true' },
    });
    if (result.code !== 0) {
      const hint = result.output.includes('ENOTCACHED')
        ? "\nnpm's cache lacks a package: run npm ci in the repository first (it fills the cache)"
        : '';
      throw new Error(`RUN ${command} failed (${result.code}), offline:\n${result.output}${hint}`);
    }
    return;
  }
  const mkdirChown = /^mkdir -m ([0-7]{3,4}) (\/\S+) && chown (\d+):(\d+) \2$/.exec(command);
  if (state.isFinal && mkdirChown) {
    const path = inRoot(state, mkdirChown[2]!);
    await mkdir(dirname(path), { recursive: true, mode: 0o755 }); // the base image's /var/lib
    await mkdir(path);
    await chmod(path, parseInt(mkdirChown[1]!, 8));
    await chown(path, Number(mkdirChown[3]), Number(mkdirChown[4]));
    return;
  }
  throw new Error(`the emulation does not know RUN ${command}`);
}

function runCommand(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, output }));
  });
}

/** Every file and directory under a directory, with what a write would change. */
async function snapshot(directory: string): Promise<Map<string, string>> {
  const entries = new Map<string, string>();
  for (const name of await readdir(directory, { recursive: true })) {
    const info = await stat(join(directory, name));
    entries.set(name, `${info.mode} ${info.uid} ${info.size} ${info.mtimeMs}`);
  }
  return entries;
}

/**
 * Runs a command as the image's user with the final stage's directory read-only, as
 * readOnlyRootFilesystem makes the root: in a private mount namespace, the directory is bind-mounted
 * onto itself and remounted read-only, the writable paths (the data directory's and TMPDIR's volumes)
 * bound first so they stay writable. The shell execs the command, so the child's PID is the command's.
 */
function spawnReadOnly(
  image: Emulated,
  writable: string[],
  command: string[],
  options: { cwd: string; env: Record<string, string> },
): ChildProcessByStdio<null, Readable, Readable> {
  const script = [
    'set -e',
    'root="$1"; uid="$2"; gid="$3"; count="$4"; shift 4',
    'mount --bind "$root" "$root"',
    'while [ "$count" -gt 0 ]; do mount --bind "$1" "$1"; shift; count=$((count - 1)); done',
    'mount -o remount,bind,ro "$root"',
    'exec setpriv --reuid "$uid" --regid "$gid" --clear-groups -- "$@"',
  ].join('\n');
  const args = [image.root, String(image.user.uid), String(image.user.gid), String(writable.length), ...writable, ...command];
  return spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'read-only-root', ...args], {
    ...options,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

type Running = { child: ChildProcess; output: () => string; baseUrl: string };

/**
 * Runs the image's command as its user in its environment: `node` is the project's Node 24, paths of
 * the environment are inside the final stage's directory, and the config is written where it is mounted.
 */
async function runImage(image: Emulated, cmd: string[], config: Record<string, unknown>): Promise<Running> {
  const [program, ...entrypointArgs] = image.entrypoint;
  expect(program).to.equal('node');
  const inRoot = (value: string) => (value.startsWith('/') ? join(image.root, value) : value);
  const env: Record<string, string> = {
    PATH: `${dirname(process.execPath)}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
    HOME: '/',
  };
  for (const [key, value] of Object.entries(image.env)) env[key] = inRoot(value);
  // The mounts: the config file (a ConfigMap: root's, readable by all) and an emptyDir for TMPDIR.
  const configFile = env['CFAPI_CONFIG']!;
  await mkdir(dirname(configFile), { recursive: true, mode: 0o755 });
  await writeFile(configFile, JSON.stringify(config), { mode: 0o644 });
  await mkdir(env['TMPDIR']!, { recursive: true });
  await chmod(env['TMPDIR']!, 0o1777);

  const child = spawnReadOnly(image, [env['CFAPI_DATA_DIR']!, env['TMPDIR']!], [process.execPath, ...entrypointArgs, ...cmd], {
    cwd: join(image.root, image.workdir),
    env,
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the image's server did not start within 60 s:\n${output}`)), 60_000);
    const check = () => {
      if (output.includes('listening on')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the image's server exited with ${code}:\n${output}`));
    });
  });
  const listen = config['listen'] as { port: number };
  return { child, output: () => output, baseUrl: `http://127.0.0.1:${listen.port}` };
}

async function stopImage(running: Running | undefined): Promise<number | null> {
  if (!running || running.child.exitCode !== null) return running?.child.exitCode ?? null;
  const exited = new Promise<number | null>((resolve) => running.child.once('exit', (code) => resolve(code)));
  running.child.kill('SIGTERM');
  return exited;
}

/** The kubelet's probes (the chart's /healthz and /readyz) and Prometheus' scrape answer, readiness within 30 s. */
async function expectProbesAnswer(baseUrl: string): Promise<void> {
  expect((await fetch(`${baseUrl}/healthz`)).status).to.equal(200);
  const deadline = Date.now() + 30_000;
  let ready = await fetch(`${baseUrl}/readyz`);
  while (ready.status !== 200 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    ready = await fetch(`${baseUrl}/readyz`);
  }
  expect(ready.status, await ready.text()).to.equal(200);
  const metrics = await fetch(`${baseUrl}/metrics`);
  expect(metrics.status).to.equal(200);
  expect(await metrics.text()).to.contain('# TYPE ');
}

async function uidOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
}

type LockEntry = {
  dev?: boolean;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};
type Lockfile = { packages: Record<string, LockEntry> };

/** Where Node finds `name` from the package at `from` ('' is the root), per the lockfile's layout. */
function resolveInLock(lock: Lockfile, from: string, name: string): string | undefined {
  let base = from;
  for (;;) {
    const candidate = base === '' ? `node_modules/${name}` : `${base}/node_modules/${name}`;
    if (lock.packages[candidate]) return candidate;
    if (base === '') return undefined;
    const parent = base.lastIndexOf('/node_modules/');
    base = parent === -1 ? '' : base.slice(0, parent);
  }
}

/** The packages the root's dependencies need, transitively (not the workspace's, not optional ones). */
function productionClosure(lock: Lockfile): Set<string> {
  const needed = new Set<string>();
  const queue = [''];
  while (queue.length > 0) {
    const path = queue.shift()!;
    const entry = lock.packages[path] ?? {};
    const peers = Object.keys(entry.peerDependencies ?? {}).filter((peer) => !entry.peerDependenciesMeta?.[peer]?.optional);
    for (const name of [...Object.keys(entry.dependencies ?? {}), ...peers]) {
      const resolved = resolveInLock(lock, path, name);
      if (resolved === undefined) throw new Error(`package-lock.json: ${path || 'the root'} needs ${name}, which it does not hold`);
      if (!needed.has(resolved)) {
        needed.add(resolved);
        queue.push(resolved);
      }
    }
  }
  return needed;
}

/** Lockfile packages the server needs and the image lacks, and development packages the image has. */
async function lockfileMismatches(app: string): Promise<{ missing: string[]; unwanted: string[] }> {
  const lock = JSON.parse(await readFile(join(repoRoot, 'package-lock.json'), 'utf8')) as Lockfile;
  const missing = [...productionClosure(lock)].filter((path) => !existsSync(join(app, path)));
  const unwanted = Object.entries(lock.packages)
    .filter(([path, entry]) => path.startsWith('node_modules/') && entry.dev && existsSync(join(app, path)))
    .map(([path]) => path);
  return { missing, unwanted };
}

describe("image: the final stage's contents, run without a container engine", function () {
  this.timeout(300_000);
  let image: Emulated;
  let app: string;
  let appBefore: Map<string, string>;

  before(async function () {
    this.timeout(600_000);
    // Root sets the app's owner and starts the server as the image's user (CI and this project's
    // machines run as root); never skipped.
    if (!isRoot) throw new Error("the image's tests set file owners and switch to the image's user: run them as root");
    image = await emulateImage();
    app = join(image.root, image.workdir);
    appBefore = await snapshot(app);
  });
  after(async () => {
    if (image) await rm(image.base, { recursive: true, force: true });
  });

  it('holds the production dependencies of the lockfile and none of its development ones', async () => {
    const { missing, unwanted } = await lockfileMismatches(app);
    expect(unwanted, 'development packages in the image').to.deep.equal([]);
    expect(missing, 'production packages not in the image').to.deep.equal([]);
    for (const devOnly of ['node', 'typescript', 'mocha', 'eslint', '@redocly/cli']) {
      expect(existsSync(join(app, 'node_modules', devOnly)), devOnly).to.equal(false);
    }
    expect(existsSync(join(app, 'node_modules/@kubernetes/client-node/package.json'))).to.equal(true);
    // The workspace (sdk/) is not in the build context, so it is not linked either.
    expect(existsSync(join(app, 'node_modules/@cf-k8s-api/sdk'))).to.equal(false);
    expect(existsSync(join(app, 'test')) || existsSync(join(app, 'openapi')) || existsSync(join(app, 'sdk'))).to.equal(false);
  });

  it("is the root user's and not writable by the image's user", () => {
    for (const [name, entry] of appBefore) {
      const [mode, uid] = entry.split(' ').map(Number) as [number, number];
      expect(uid, `${name} is root's`).to.equal(0);
      expect(mode & 0o022, `${name} is writable by group or others`).to.equal(0);
    }
  });

  it('is read-only for its user, but for the data directory and TMPDIR, when run (readOnlyRootFilesystem)', async () => {
    const dataDir = join(image.root, image.env['CFAPI_DATA_DIR']!);
    const tmp = join(image.root, image.env['TMPDIR']!);
    await mkdir(tmp, { recursive: true });
    await chmod(tmp, 0o1777);
    const attempt = (path: string) => `if touch '${path}' 2>&1; then echo wrote; rm -f '${path}'; fi`;
    const child = spawnReadOnly(
      image,
      [dataDir, tmp],
      ['sh', '-c', [attempt(join(app, 'x')), attempt(join(dataDir, 'x')), attempt(join(tmp, 'x')), 'id -u'].join('; ')],
      {
        cwd: app,
        env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' },
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code, output).to.equal(0);
    expect(output).to.match(/Read-only file system/);
    expect(output.match(/^wrote$/gm), output).to.have.length(2);
    expect(output.trim().split('\n').at(-1)).to.equal(String(image.user.uid));
  });

  describe('with --backend embedded (docker run <image> --backend embedded)', () => {
    let running: Running | undefined;
    let exitCode: number | null = null;

    before(async () => {
      const port = await freePort();
      running = await runImage(image, ['--backend', 'embedded'], {
        listen: { host: '127.0.0.1', port },
        router: { port: 0 },
        logLevel: 'warn',
      });
    });
    after(async () => {
      await stopImage(running);
    });

    it("runs as the Dockerfile's user", async () => {
      expect(await uidOf(running!.child.pid!)).to.equal(image.user.uid);
    });

    it('answers GET /, GET /v3/info, the API reference and the probes', async () => {
      const rootDoc = await contractFetch(running!.baseUrl, '/');
      expect(rootDoc.status, rootDoc.text).to.equal(200);
      const info = await contractFetch(running!.baseUrl, '/v3/info');
      expect(info.status, info.text).to.equal(200);
      expect((info.body as { name: string }).name).to.equal('cf-k8s-api');
      const reference = await fetch(`${running!.baseUrl}/api-docs`);
      expect(reference.status).to.equal(200);
      expect(await reference.text()).to.contain('<redoc');
      await expectProbesAnswer(running!.baseUrl);
    });

    it('wrote only to the data directory and TMPDIR, and stops cleanly on SIGTERM', async () => {
      const dataDir = join(image.root, image.env['CFAPI_DATA_DIR']!);
      expect(await readdir(dataDir)).to.include.members(['kubeconfig', 'store.sqlite']);
      expect((await stat(dataDir)).mode & 0o777).to.equal(0o700);
      expect(await readdir(join(image.root, image.env['TMPDIR']!))).to.include('node-compile-cache');
      exitCode = await stopImage(running);
      running = undefined;
      expect(exitCode).to.equal(0);
      expect(await snapshot(app)).to.deep.equal(appBefore);
    });
  });

  describe('with its default command, --backend kubernetes, on the local control plane', () => {
    let controlPlane: ControlPlane;
    let running: Running | undefined;
    const rootNamespace = uniqueName('cf-image');

    before(async function () {
      this.timeout(90 * 60_000); // a cold cache builds the control-plane binaries first
      controlPlane = await sharedControlPlane();
      // The server's own credentials as a file it can read (a mounted Secret), everything inline.
      const kubeconfig = adminKubeConfig(controlPlane);
      const cluster = kubeconfig.getCurrentCluster()!;
      const user = kubeconfig.getCurrentUser()!;
      const inline = {
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'local',
            cluster: { server: cluster.server, 'certificate-authority-data': (await readFile(cluster.caFile!)).toString('base64') },
          },
        ],
        users: [
          {
            name: 'server',
            user: {
              'client-certificate-data': (await readFile(user.certFile!)).toString('base64'),
              'client-key-data': (await readFile(user.keyFile!)).toString('base64'),
            },
          },
        ],
        contexts: [{ name: 'local', context: { cluster: 'local', user: 'server' } }],
        'current-context': 'local',
      };
      const kubeconfigFile = join(image.root, 'etc/cf-k8s-api-credentials/kubeconfig');
      await mkdir(dirname(kubeconfigFile), { recursive: true, mode: 0o755 });
      await writeFile(kubeconfigFile, JSON.stringify(inline), { mode: 0o600 });
      await chown(kubeconfigFile, image.user.uid, image.user.gid);
      const port = await freePort();
      running = await runImage(image, image.cmd, {
        listen: { host: '127.0.0.1', port },
        kubernetes: { kubeconfig: kubeconfigFile },
        rootNamespace,
        logLevel: 'warn',
      });
    });
    after(async () => {
      await stopImage(running);
    });

    it('starts on the cluster, serves a signed-in request from it and answers the probes', async () => {
      expect(running!.output()).to.contain(`Kubernetes cluster ${controlPlane.server}`);
      const info = await contractFetch(running!.baseUrl, '/v3/info');
      expect(info.status, info.text).to.equal(200);
      const pair = await controlPlane.issueUser('image-admin');
      const store = new KubernetesStore(adminKubeConfig(controlPlane));
      await store.privileged().create(newRoleBinding('admin', 'image-admin', rootNamespace));
      await store.close();
      const domains = await contractFetch(running!.baseUrl, '/v3/domains', {
        headers: authHeaders.clientCert({ name: 'image-admin', token: '', ...pair }),
      });
      expect(domains.status, domains.text).to.equal(200);
      expect((domains.body as { resources: { name: string }[] }).resources.map((d) => d.name)).to.include('apps.localhost');
      await expectProbesAnswer(running!.baseUrl);
    });

    it('stops cleanly on SIGTERM, having written nothing into the app', async () => {
      expect(await stopImage(running)).to.equal(0);
      running = undefined;
      expect(await snapshot(app)).to.deep.equal(appBefore);
    });
  });
});
