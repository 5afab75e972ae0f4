import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import * as tar from 'tar';

const imagePrefix = 'local-droplet:';
/** A build GUID as it may appear in a file name: no separators, no leading dot. */
const guidPattern = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const isSafeGuid = (guid: string): boolean => guidPattern.test(guid) && guid.length <= 200;

/** The image name of a build's droplet (`StagedDroplet.image`). */
export const dropletImage = (buildGuid: string): string => `${imagePrefix}${buildGuid}`;

/** The archive of a droplet image, or undefined when `image` is not one of ours. */
export function dropletArchive(root: string, image: string): string | undefined {
  if (!image.startsWith(imagePrefix)) return undefined;
  const guid = image.slice(imagePrefix.length);
  return isSafeGuid(guid) ? join(root, 'droplets', `${guid}.tgz`) : undefined;
}

/**
 * Archives the staged app (`<buildDir>/app`) as the build's droplet (`droplets/<buildGuid>.tgz`, a
 * gzipped tar holding `app/`, as CF's droplets do), written to a temporary file and renamed, so a
 * droplet is either whole or absent. Resolves with its size in bytes.
 */
export async function packDroplet(root: string, buildGuid: string, buildDir: string): Promise<number> {
  const droplets = join(root, 'droplets');
  await mkdir(droplets, { recursive: true });
  const temporary = join(droplets, `.${buildGuid}.${randomUUID()}.tmp`);
  try {
    await tar.create({ gzip: true, file: temporary, cwd: buildDir, portable: true }, ['app']);
    await rename(temporary, join(droplets, `${buildGuid}.tgz`));
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return (await stat(join(droplets, `${buildGuid}.tgz`))).size;
}

/** Fills `dir` with a droplet (the app in `dir/app`); an image that is not ours, or whose archive is gone, is an error. */
export async function unpackDropletArchive(root: string, image: string, dir: string): Promise<void> {
  const archive = dropletArchive(root, image);
  if (archive === undefined) throw new Error(`'${image}' is not a droplet of the local runtime (local-droplet:<build GUID>).`);
  const found = await stat(archive).catch(() => undefined);
  if (!found?.isFile()) throw new Error(`The droplet ${image} is not on this machine (${archive} is missing): stage the app again.`);
  await mkdir(dir, { recursive: true });
  // Our own archive of a directory (tar.create writes no `..` and nothing below a link), so its links
  // are kept as they are, absolute ones included (a Python virtual environment's interpreter is one).
  await tar.extract({ file: archive, cwd: dir, preserveOwner: false, preservePaths: true });
}

/** Removes a droplet's archive; an unknown image or a missing archive is no error. */
export async function deleteDropletArchive(root: string, image: string): Promise<void> {
  const archive = dropletArchive(root, image);
  if (archive !== undefined) await rm(archive, { force: true });
}
