import { mkdir, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, dirname, join } from 'node:path';

/** Where one instance or task runs: the unpacked droplet, its app dir (the cwd and HOME) and its TMPDIR. */
export type WorkingCopy = { dir: string; appDir: string; tmpDir: string };

/**
 * Fills `dir` (made empty first) with the droplet's files. The app dir is the droplet's `app/` when it
 * has one, as CF's droplets do (`/home/vcap/app`), or else the unpacked droplet itself.
 */
export async function prepareWorkingCopy(
  unpackDroplet: (image: string, dir: string) => Promise<void>,
  image: string,
  dir: string,
): Promise<WorkingCopy> {
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await unpackDroplet(image, dir);
  const nested = join(dir, 'app');
  const appDir = (await stat(nested).catch(() => undefined))?.isDirectory() === true ? nested : dir;
  const tmpDir = join(dir, 'tmp');
  await mkdir(tmpDir, { recursive: true });
  return { dir, appDir, tmpDir };
}

/**
 * What `/bin/sh -c` runs: the droplet's `.profile.d/*.sh` and `.profile` are sourced first, as CF's
 * launcher does (buildpacks put PATH and the like there), then the start command.
 */
export function launchScript(command: string): string {
  return [
    'for __cf_profile in "$HOME"/.profile.d/*.sh; do if [ -f "$__cf_profile" ]; then . "$__cf_profile"; fi; done',
    'unset __cf_profile',
    'if [ -f "$HOME/.profile" ]; then . "$HOME/.profile"; fi',
    command,
  ].join('\n');
}

/** A port nobody listens on now, on `host` (the OS picks it; the instance binds it a moment later). */
export async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') throw new Error(`no free port on ${host}`);
  return address.port;
}

/** VCAP_APPLICATION with this instance's fields, when the workload's is a JSON object; else as it was. */
function patchVcapApplication(value: string | undefined, instance: Record<string, unknown>): string | undefined {
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return value;
    return JSON.stringify({ ...parsed, ...instance });
  } catch {
    return value;
  }
}

/**
 * The whole environment of an instance or a task: the workload's own variables (the app's, VCAP_*),
 * what Diego adds for an instance, and a PATH and LANG; nothing else of the server's environment (its
 * credentials stay out). `port` is absent for tasks.
 */
export function workloadEnvironment(options: {
  environment: Readonly<Record<string, string>>;
  copy: WorkingCopy;
  memoryMB: number;
  instance: { index: number; guid: string; host: string; port?: number };
}): Record<string, string> {
  const { copy, instance } = options;
  const nodeDir = dirname(process.execPath);
  const serverPath = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter).filter((entry) => entry !== nodeDir);
  const env: Record<string, string> = {
    PATH: [nodeDir, ...serverPath].join(delimiter),
    LANG: process.env.LANG ?? 'C.UTF-8',
    ...options.environment,
    HOME: copy.appDir,
    TMPDIR: copy.tmpDir,
    MEMORY_LIMIT: `${options.memoryMB}m`,
    INSTANCE_INDEX: String(instance.index),
    INSTANCE_GUID: instance.guid,
    CF_INSTANCE_INDEX: String(instance.index),
    CF_INSTANCE_GUID: instance.guid,
    CF_INSTANCE_IP: instance.host,
    CF_INSTANCE_INTERNAL_IP: instance.host,
    CF_INSTANCE_PORT: instance.port === undefined ? '' : String(instance.port),
    CF_INSTANCE_ADDR: instance.port === undefined ? '' : `${instance.host}:${instance.port}`,
    CF_INSTANCE_PORTS: JSON.stringify(instance.port === undefined ? [] : [{ external: instance.port, internal: instance.port }]),
  };
  if (instance.port !== undefined) {
    env.PORT = String(instance.port);
    env.VCAP_APP_PORT = String(instance.port);
    env.VCAP_APP_HOST = instance.host;
  }
  const vcap = patchVcapApplication(
    options.environment.VCAP_APPLICATION,
    instance.port === undefined
      ? { instance_index: instance.index, instance_id: instance.guid }
      : { instance_index: instance.index, instance_id: instance.guid, port: instance.port, host: instance.host },
  );
  if (vcap !== undefined) env.VCAP_APPLICATION = vcap;
  return env;
}
