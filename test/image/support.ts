import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The image's tests read the Dockerfile through BuildKit's own parser (scripts/image/dockerfile-lint),
 * built by `bash scripts/image/build-dockerfile-lint.sh` (CI builds it before the tests). The tests never
 * build it themselves (DOCKERFILE_LINT_BUILD=never): a missing binary fails them, saying how to build it.
 */

export const repoRoot = new URL('../../', import.meta.url).pathname;
export const dockerfilePath = join(repoRoot, 'Dockerfile');
export const buildScript = join(repoRoot, 'scripts/image/build-dockerfile-lint.sh');
export const lintScript = join(repoRoot, 'scripts/image/lint-dockerfile.sh');

export type Run = { code: number; stdout: string; stderr: string };

export function run(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { cwd: options.cwd, env: options.env ?? process.env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') return reject(new Error(`${command} did not run: ${error.message}\n${stderr}`));
        resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
      },
    );
  });
}

/** The environment the lint scripts get in tests: the linter only from its cache. */
export const lintEnv = (): NodeJS.ProcessEnv => ({ ...process.env, DOCKERFILE_LINT_BUILD: 'never' });

let binary: Promise<string> | undefined;

/** The cached dockerfile-lint binary's path (never built here). */
export function dockerfileLint(): Promise<string> {
  binary ??= run('bash', [buildScript], { env: lintEnv() }).then((result) => {
    if (result.code !== 0) throw new Error(`dockerfile-lint is not available:\n${result.stderr}`);
    return result.stdout.trim();
  });
  return binary;
}

export type Instruction = {
  instruction: string;
  line: number;
  source: string;
  sources?: string[];
  dest?: string;
  from?: string;
  chown?: string;
  chmod?: string;
  command?: string[];
  shellForm?: boolean;
  path?: string;
  user?: string;
  ports?: string[];
  keyValues?: { key: string; value: string }[];
};

export type Stage = { name: string; base: string; baseExpanded: string; line: number; instructions: Instruction[] };

export type Inspected = { args: { name: string; default: string | null }[]; stages: Stage[] };

/** The Dockerfile's stages and instructions as BuildKit's parser reads them. */
export async function inspectDockerfile(file = dockerfilePath): Promise<Inspected> {
  const result = await run(await dockerfileLint(), ['inspect', file]);
  if (result.code !== 0) throw new Error(`dockerfile-lint inspect ${file} failed:\n${result.stderr}`);
  return JSON.parse(result.stdout) as Inspected;
}

/** The files of a build context that its .dockerignore lets through, with BuildKit's matcher. */
export async function contextFiles(directory = repoRoot): Promise<string[]> {
  const result = await run(await dockerfileLint(), ['context', directory]);
  if (result.code !== 0) throw new Error(`dockerfile-lint context ${directory} failed:\n${result.stderr}`);
  return result.stdout.split('\n').filter((line) => line !== '');
}

/** `npm start`'s command line, split on spaces (its script is a plain `node [options] src/start.js`). */
export function npmStartCommand(): string[] {
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { scripts: { start: string } };
  return pkg.scripts.start.trim().split(/\s+/);
}

export function packageJson(): { version: string; devDependencies: Record<string, string>; dependencies: Record<string, string> } {
  return JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as ReturnType<typeof packageJson>;
}

/** The image's final stage (the last one) and the stage its app is copied from. */
export function finalStage(inspected: Inspected): Stage {
  const stage = inspected.stages.at(-1);
  if (!stage) throw new Error('the Dockerfile has no stage');
  return stage;
}

export function instructionsOf(stage: Stage, name: string): Instruction[] {
  return stage.instructions.filter((i) => i.instruction === name);
}

/** The image's environment: every ENV of the final stage, in order. */
export function imageEnv(stage: Stage): Record<string, string> {
  const env: Record<string, string> = {};
  for (const i of instructionsOf(stage, 'ENV')) for (const { key, value } of i.keyValues ?? []) env[key] = value;
  return env;
}
