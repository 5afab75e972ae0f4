import type { components } from '../../generated/openapi-types.ts';
import type { Config } from '../config/schema.ts';

/** `GET /v3/info`: the operator's description of the platform. */
export function presentInfo(config: Config): components['schemas']['Info'] {
  const { info } = config;
  return {
    build: info.build,
    cli_version: { minimum: info.minCliVersion, recommended: info.recommendedCliVersion },
    description: info.description,
    name: info.name,
    version: info.version,
    custom: info.custom,
    links: { self: { href: `${config.externalUrl}/v3/info` }, support: { href: info.supportAddress } },
  };
}
