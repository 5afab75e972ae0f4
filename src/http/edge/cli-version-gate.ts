import semver from 'semver';
import { invalidRequest } from '../../errors/api-error.ts';

/** Refuses a request (throws a CF error) when its User-Agent is a cf CLI the server does not support. */
export type CliVersionGate = (userAgent: string) => void;

/** The product `cf` (a binary named otherwise, e.g. `cli` from `go install`, is not checked, as in Korifi) and its version. */
const cfProduct = /^cf(?:\/(\S*))?(?:\s|$)/;

/**
 * Korifi's cf CLI gate with the configured minimum (`info.minCliVersion`, the same value `/v3/info`
 * shows as `cli_version.minimum`). The version must be a whole semantic version (`8.18.4`,
 * `8.7.10+5b7ce3c.2024-04-10`); anything else, `junk9.9.9` included, is "Failed to determine".
 * Pre-releases of the minimum pass, as Korifi's constraint `>= 8.5.0-0` lets them.
 *
 * The texts keep Korifi's words, "Korifi requires", with the configured minimum in Korifi's form
 * (`>= 8.5.0-0`): the cf CLI does not read them (it prints the detail and stops), so what depends on
 * them is people and tooling written against Korifi — its docs and tests match "Korifi requires CF CLI
 * >= …", and with the default minimum the texts are Korifi's to the byte. This server speaks Korifi's
 * API to the CLI, so naming Korifi tells a user which platform flavour refused them.
 */
export function cliVersionGate(minimum: string): CliVersionGate {
  const constraint = `>= ${minimum}-0`;
  const range = new semver.Range(`>=${minimum}-0`, { includePrerelease: true });
  return (userAgent) => {
    const product = cfProduct.exec(userAgent);
    if (!product) return;
    const version = semver.parse(product[1] ?? '');
    if (!version) throw invalidRequest(`Failed to determine CF CLI version. Korifi requires CF CLI ${constraint}`);
    if (!range.test(version)) {
      throw invalidRequest(`CF CLI version ${asKorifiPrintsIt(version)} is not supported. Korifi requires CF CLI ${constraint}`);
    }
  };
}

/** Korifi prints the parsed version with its build metadata (`7.2.0+be4a5ce2b.2020-12-10`). */
function asKorifiPrintsIt(version: semver.SemVer): string {
  return version.build.length > 0 ? `${version.version}+${version.build.join('.')}` : version.version;
}
