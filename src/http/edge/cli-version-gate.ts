import semver from 'semver';
import { invalidRequest } from '../../errors/api-error.ts';

/** The oldest cf CLI that speaks the CF-on-Kubernetes protocol this server needs (client certificates). */
export const minimumCliVersion = '8.5.0-0';

/**
 * Refuses requests from a cf CLI older than 8.5.0 with Korifi's 400 texts. Only a User-Agent whose
 * first product is `cf` is checked; other clients pass.
 */
export function checkCliVersion(userAgent: string): void {
  const product = /^cf\/(\S+)/.exec(userAgent);
  if (!product) return;
  const version = semver.parse(product[1], { loose: true }) ?? semver.coerce(product[1], { includePrerelease: true });
  if (!version) throw invalidRequest(`Failed to determine CF CLI version. Korifi requires CF CLI >= ${minimumCliVersion}`);
  if (!semver.satisfies(version, `>=${minimumCliVersion}`, { includePrerelease: true })) {
    throw invalidRequest(`CF CLI version ${version.version} is not supported. Korifi requires CF CLI >= ${minimumCliVersion}`);
  }
}
