import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigInput } from '../../src/config/schema.ts';
import { startTestRegistry, type TestRegistry } from './registry.ts';
import type { TestServer } from './test-server.ts';

/** The docker config Secret in the root namespace that holds the push credentials of the test registry. */
export const registrySecretName = 'cfapi-package-registry';

/** A real registry for package bits, with the config that points a server at it. */
export type PackageRegistry = {
  registry: TestRegistry;
  config: NonNullable<ConfigInput['containerRegistry']>;
  /** The same config as the environment of `npm start`. */
  env: Record<string, string>;
  stop(): Promise<void>;
};

/** Starts a real registry (TLS from a test CA, basic auth) for a kubernetes server's package uploads. */
export async function startPackageRegistry(): Promise<PackageRegistry> {
  const registry = await startTestRegistry();
  const caDir = await mkdtemp(join(tmpdir(), 'cfapi-registry-ca-'));
  await writeFile(join(caDir, 'ca.pem'), registry.caPem);
  const repositoryPrefix = `${registry.host}/cfapi/`;
  const caFile = join(caDir, 'ca.pem');
  return {
    registry,
    config: { repositoryPrefix, packageRegistrySecretNames: [registrySecretName], caFile },
    env: {
      CFAPI_CONTAINER_REPOSITORY_PREFIX: repositoryPrefix,
      CFAPI_PACKAGE_REGISTRY_SECRET_NAMES: registrySecretName,
      CFAPI_CONTAINER_REGISTRY_CA_FILE: caFile,
    },
    stop: async () => {
      await registry.stop();
      await rm(caDir, { recursive: true, force: true });
    },
  };
}

/** The registry's push credentials, as an operator gives them: a docker config Secret in the root namespace. */
export async function storeRegistryCredentials(server: TestServer, registry: TestRegistry): Promise<void> {
  await server.store.privileged().create(registryCredentialsSecret(registry, server.config.rootNamespace));
}

/** The docker config Secret with the registry's push credentials, for the root namespace `namespace`. */
export function registryCredentialsSecret(registry: TestRegistry, namespace: string) {
  const auths = { [registry.host]: { username: registry.username, password: registry.password } };
  return {
    kind: 'Secret' as const,
    type: 'kubernetes.io/dockerconfigjson',
    metadata: { name: registrySecretName, namespace },
    data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths })).toString('base64') },
  };
}

/**
 * A package registry for a mocha suite: started before the suite's servers, stopped after, with
 * `config` pointed at it. Answers the registry once it runs.
 */
export function packageRegistryForSuite(config: ConfigInput): () => TestRegistry {
  let started: PackageRegistry | undefined;
  before(async function () {
    this.timeout(60_000);
    started = await startPackageRegistry();
    config.containerRegistry = started.config;
  });
  after(() => started?.stop());
  return () => {
    if (started === undefined) throw new Error('the package registry has not started');
    return started.registry;
  };
}
