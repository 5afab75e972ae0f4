import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigInput } from '../../src/config/schema.ts';
import { startTestRegistry, type TestRegistry } from './registry.ts';
import type { TestServer } from './test-server.ts';

/** The docker config Secret in the root namespace that holds the push credentials of the test registry. */
export const registrySecretName = 'cfapi-package-registry';

/** A real registry for package bits, with the config that points a server at it. */
export type PackageRegistry = { registry: TestRegistry; config: NonNullable<ConfigInput['containerRegistry']>; stop(): Promise<void> };

/** Starts a real registry (TLS from a test CA, basic auth) for a kubernetes server's package uploads. */
export async function startPackageRegistry(): Promise<PackageRegistry> {
  const registry = await startTestRegistry();
  const caDir = await mkdtemp(join(tmpdir(), 'cfapi-registry-ca-'));
  await writeFile(join(caDir, 'ca.pem'), registry.caPem);
  return {
    registry,
    config: {
      repositoryPrefix: `${registry.host}/cfapi/`,
      packageRegistrySecretNames: [registrySecretName],
      caFile: join(caDir, 'ca.pem'),
    },
    stop: async () => {
      await registry.stop();
      await rm(caDir, { recursive: true, force: true });
    },
  };
}

/** The registry's push credentials, as an operator gives them: a docker config Secret in the root namespace. */
export async function storeRegistryCredentials(server: TestServer, registry: TestRegistry): Promise<void> {
  const auths = { [registry.host]: { username: registry.username, password: registry.password } };
  await server.store.privileged().create({
    kind: 'Secret',
    type: 'kubernetes.io/dockerconfigjson',
    metadata: { name: registrySecretName, namespace: server.config.rootNamespace },
    data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths })).toString('base64') },
  });
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
