import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Whether the app has a regular file (or a link to one) at `path`, relative to its directory. */
export async function hasFile(appDir: string, path: string): Promise<boolean> {
  const found = await stat(join(appDir, path)).catch(() => undefined);
  return found?.isFile() ?? false;
}

/** Whether the app has a directory at `path`. */
export async function hasDirectory(appDir: string, path: string): Promise<boolean> {
  const found = await stat(join(appDir, path)).catch(() => undefined);
  return found?.isDirectory() ?? false;
}

/** A text file of the app, or undefined when it has none. */
export async function readAppFile(appDir: string, path: string): Promise<string | undefined> {
  if (!(await hasFile(appDir, path))) return undefined;
  return readFile(join(appDir, path), 'utf8');
}

/**
 * The process types of a Procfile (`type: command` lines, as Heroku and CF read them): names of
 * letters, digits, `_` and `-`; blank lines, comments and other lines are skipped; a later line for
 * the same type wins.
 */
export function parseProcfile(text: string): Record<string, string> {
  const types: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z0-9_-]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (match?.[2]) types[match[1]!] = match[2];
  }
  return types;
}

/** The settings of a `Staticfile` (`key: value` lines, as the staticfile buildpack reads them). */
export function parseStaticfile(text: string): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Za-z0-9_]+)\s*:\s*(.*?)\s*$/.exec(line);
    if (match?.[2] === undefined || line.trimStart().startsWith('#')) continue;
    settings[match[1]!] = match[2].replace(/^(['"])(.*)\1$/, '$2');
  }
  return settings;
}

/** The requirements of a `requirements.txt` that are more than blank lines and comments. */
export function realRequirementLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line !== '');
}

/** `text` as one word for `/bin/sh`: as it is when it is plain, else in single quotes. */
export function shellWord(text: string): string {
  if (/^[A-Za-z0-9_/.:=@%+,-]+$/.test(text)) return text;
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
