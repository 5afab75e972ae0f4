import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StagingFailed } from '../../app-runtime.ts';
import { pathProblem } from '../../../bits/upload/package-paths.ts';
import { hasDirectory, hasFile, parseStaticfile, readAppFile, realRequirementLines, shellWord } from './app-files.ts';
import { compileFailed, detail, runBuildStep, step, type StagingLog } from './build-steps.ts';

/** The host's tools the buildpacks build and run apps with. */
export type Toolchains = {
  /** The Node that runs npm at staging and the app's `node` (its directory comes first on the app's PATH). */
  node: string;
  /** npm (run by `node`: the directory of `node` comes first on its PATH). */
  npm: string;
  /** The Go command. */
  go: string;
  /** The Python 3 that creates the app's virtual environment. */
  python: string;
};

/** What a buildpack works with while it stages one app. */
export type BuildContext = {
  /** The app's files, as the droplet will hold them. */
  appDir: string;
  /** Where builds keep caches between stagings (Go's build cache and modules, npm's cache). */
  cacheDir: string;
  toolchains: Toolchains;
  /** The environment of build commands: the host's, the app's, then the tools' settings. */
  env: NodeJS.ProcessEnv;
  signal: AbortSignal;
  log: StagingLog;
};

export type Buildpack = {
  name: string;
  /** How its step line names it (`-----> Nodejs Buildpack version 1.0.0`). */
  title: string;
  /** Whether it builds this app when no buildpack is named (`binary_buildpack` never does). */
  detect(appDir: string): Promise<boolean>;
  /** The `web` command it gives an app whose Procfile has none; a `StagingFailed` when it needs one and finds none. */
  defaultWeb(context: BuildContext): Promise<string | undefined>;
  /** Builds the app in place (installs dependencies, compiles). */
  compile(context: BuildContext): Promise<void>;
  /** What the app's shell sources before its command (a `.profile.d` script), if anything. */
  profile(context: BuildContext): string | undefined;
};

export const buildpackVersion = '1.0.0';

/** Where the staticfile buildpack puts its server in the droplet (hidden: the server never serves it). */
export const staticServerPath = '.local-buildpacks/static-file-server.mjs';
const staticServerSource = fileURLToPath(new URL('./static-file-server.mjs', import.meta.url));

const nodePath = (context: BuildContext) => `export PATH=${shellWord(dirname(context.toolchains.node))}:"$PATH"\n`;

const staticfile: Buildpack = {
  name: 'staticfile_buildpack',
  title: 'Staticfile',
  detect: async (appDir) => (await hasFile(appDir, 'Staticfile')) || (await hasFile(appDir, 'index.html')),
  defaultWeb: async (context) => {
    const root = await staticRoot(context);
    return `node ${staticServerPath}${root === '.' ? '' : ` ${shellWord(root)}`}`;
  },
  compile: async (context) => {
    const root = await staticRoot(context);
    step(context.log, `Serving ${root === '.' ? 'the app directory' : `'${root}'`} with the local static file server`);
    await mkdir(dirname(join(context.appDir, staticServerPath)), { recursive: true });
    await copyFile(staticServerSource, join(context.appDir, staticServerPath));
  },
  profile: nodePath,
};

/** The directory a `Staticfile` names as `root:`, checked to lie inside the app; `.` without one. */
async function staticRoot(context: BuildContext): Promise<string> {
  const root = parseStaticfile((await readAppFile(context.appDir, 'Staticfile')) ?? '').root?.replace(/\/+$/, '') ?? '.';
  if (root === '.' || root === '') return '.';
  const problem = pathProblem(root);
  if (problem !== undefined) throw new StagingFailed(`The Staticfile's root '${root}' is not a directory inside the app (${problem}).`);
  if (!(await hasDirectory(context.appDir, root)))
    throw new StagingFailed(`The Staticfile's root '${root}' is not a directory of the app.`);
  return root;
}

const nodejs: Buildpack = {
  name: 'nodejs_buildpack',
  title: 'Nodejs',
  detect: (appDir) => hasFile(appDir, 'package.json'),
  defaultWeb: async (context) => {
    const manifest = await packageJson(context);
    if (typeof manifest.scripts?.start === 'string' && manifest.scripts.start.trim() !== '') return 'npm start';
    if (await hasFile(context.appDir, 'server.js')) return 'node server.js';
    throw new StagingFailed(
      'The nodejs_buildpack found no start command: add a "start" script to package.json, a server.js, or a Procfile with a web process.',
    );
  },
  compile: async (context) => {
    await packageJson(context);
    step(context.log, 'Installing dependencies');
    if (await hasDirectory(context.appDir, 'node_modules')) {
      detail(context.log, 'Using the node_modules pushed with the app (npm install skipped)');
      return;
    }
    const locked = (await hasFile(context.appDir, 'package-lock.json')) || (await hasFile(context.appDir, 'npm-shrinkwrap.json'));
    const args = [locked ? 'ci' : 'install', '--omit=dev', '--no-audit', '--no-fund', '--no-update-notifier'];
    await runBuildStep(context.toolchains.npm, args, { ...toolOptions(context), tool: 'npm', buildpack: 'nodejs_buildpack' });
  },
  profile: (context) => `${nodePath(context)}export NODE_ENV="\${NODE_ENV:-production}"\n`,
};

type PackageJson = { scripts?: Record<string, unknown> };

async function packageJson(context: BuildContext): Promise<PackageJson> {
  const text = await readAppFile(context.appDir, 'package.json');
  if (text === undefined) {
    context.log({ text: 'The app has no package.json: the nodejs_buildpack needs one.', stream: 'stderr' });
    throw new StagingFailed(compileFailed);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('it is not a JSON object');
    return parsed;
  } catch (error) {
    context.log({ text: `package.json cannot be read: ${error instanceof Error ? error.message : String(error)}`, stream: 'stderr' });
    throw new StagingFailed(compileFailed);
  }
}

const go: Buildpack = {
  name: 'go_buildpack',
  title: 'Go',
  detect: (appDir) => hasFile(appDir, 'go.mod'),
  defaultWeb: async (context) => `./bin/${await goBinaryName(context)}`,
  compile: async (context) => {
    const name = await goBinaryName(context);
    step(context.log, `Building bin/${name}`);
    await runBuildStep(context.toolchains.go, ['build', '-o', `bin/${name}`, '.'], {
      ...toolOptions(context),
      tool: 'the Go toolchain (go)',
      buildpack: 'go_buildpack',
    });
  },
  profile: () => 'export PATH="$PWD/bin:$PATH"\n',
};

/** The binary's name: the last element of the module path (without a `/vN` suffix), as `go build` names it. */
async function goBinaryName(context: BuildContext): Promise<string> {
  const module = /^\s*module\s+"?([^\s"]+)"?/m.exec((await readAppFile(context.appDir, 'go.mod')) ?? '')?.[1] ?? '';
  const elements = module.split('/').filter((element) => element !== '');
  if (elements.length > 1 && /^v\d+$/.test(elements.at(-1)!)) elements.pop();
  const name = (elements.at(-1) ?? '').replace(/[^A-Za-z0-9._-]/g, '-').replace(/^\.+/, '');
  return name === '' ? 'app' : name;
}

const python: Buildpack = {
  name: 'python_buildpack',
  title: 'Python',
  detect: async (appDir) =>
    (await hasFile(appDir, 'requirements.txt')) || (await hasFile(appDir, 'pyproject.toml')) || (await hasFile(appDir, 'setup.py')),
  defaultWeb: async () => {
    throw new StagingFailed('The python_buildpack needs a Procfile with a web process (e.g. "web: python app.py") to start the app.');
  },
  compile: async (context) => {
    const requirements = realRequirementLines((await readAppFile(context.appDir, 'requirements.txt')) ?? '');
    const options = { ...toolOptions(context), tool: 'Python 3 (python3) with its venv module', buildpack: 'python_buildpack' };
    step(context.log, 'Creating the virtual environment .venv');
    await runBuildStep(
      context.toolchains.python,
      ['-m', 'venv', ...(requirements.length === 0 ? ['--without-pip'] : []), '.venv'],
      options,
    );
    if (requirements.length === 0) {
      detail(context.log, 'requirements.txt lists no packages: nothing to install');
      return;
    }
    step(context.log, 'Installing requirements with pip');
    await runBuildStep(
      join(context.appDir, '.venv', 'bin', 'python'),
      ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '-r', 'requirements.txt'],
      { ...options, tool: 'pip in the virtual environment' },
    );
  },
  profile: () => 'export PATH="$PWD/.venv/bin:$PATH"\nexport PYTHONUNBUFFERED="${PYTHONUNBUFFERED:-1}"\n',
};

const binary: Buildpack = {
  name: 'binary_buildpack',
  title: 'Binary',
  detect: async () => false,
  defaultWeb: async () => undefined,
  compile: async (context) => detail(context.log, 'Nothing to build: the app runs as pushed'),
  profile: () => undefined,
};

/** Our buildpacks in the order CF's system buildpacks detect (the ones it has that we lack left out). */
export const buildpacks: readonly Buildpack[] = [staticfile, nodejs, go, python, binary];

/**
 * The buildpack a name means: CF's name (`nodejs_buildpack`), its short form (`nodejs`), in any case,
 * or the URL of CF's own buildpack repository (`https://github.com/cloudfoundry/nodejs-buildpack.git`,
 * a release zip of it), which manifests often name.
 */
export function buildpackNamed(name: string): Buildpack | undefined {
  const wanted = name.trim().toLowerCase();
  const fromUrl = /^(?:https?|git):\/\/github\.com\/cloudfoundry\/([a-z]+)-buildpack(?:[./#?]|$)/.exec(wanted)?.[1];
  const short = fromUrl ?? wanted.replace(/_buildpack$/, '');
  return buildpacks.find((buildpack) => buildpack.name === `${short}_buildpack`);
}

/** Whether a buildpack name is a URL (CF would fetch it; we cannot). */
export const isBuildpackUrl = (name: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(name.trim()) || /^git@/.test(name.trim());

/** The first buildpack, in detection order, that detects the app. */
export async function detectBuildpack(appDir: string): Promise<Buildpack | undefined> {
  for (const buildpack of buildpacks) if (await buildpack.detect(appDir)) return buildpack;
  return undefined;
}

function toolOptions(context: BuildContext) {
  return { cwd: context.appDir, env: context.env, signal: context.signal, log: context.log };
}
