import { dumpYaml } from '@kubernetes/client-node';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { expect } from 'chai';
import { readdir } from 'node:fs/promises';
import { parse } from 'yaml';
import { kinds, korifiKindNames } from '../../src/store/kinds.ts';
import type { KorifiShapes } from '../../src/store/korifi-types.ts';
import { crdDirectory, loadCrdManifests, type CrdManifest, type CrdSchema } from '../../src/store/kubernetes/crd-manifests.ts';
import { toClientModel } from '../../src/store/kubernetes/install-crds.ts';
import type { StoredObject } from '../../src/store/objects.ts';

type KorifiKind = keyof KorifiShapes;

const manifests = await loadCrdManifests();
const crdOf = (kind: string): CrdManifest => {
  const crd = manifests.find((manifest) => manifest.spec.names.kind === kind);
  if (!crd) throw new Error(`no CRD for ${kind}`);
  return crd;
};
const schemaOf = (kind: string): CrdSchema => crdOf(kind).spec.versions[0]!.schema.openAPIV3Schema;

/** The schema at a dotted path below the root, e.g. `spec.lifecycle.data`. */
function schemaAt(schema: CrdSchema, path: string): CrdSchema {
  return path.split('.').reduce<CrdSchema>((node, name) => {
    const child = node.properties?.[name];
    if (!child) throw new Error(`no field ${name} in ${path}`);
    return child;
  }, schema);
}

/** Every schema-position violation of Kubernetes' structural rules we can see statically. */
function structuralProblems(schema: CrdSchema, path: string): string[] {
  const problems: string[] = [];
  const typed =
    schema.type !== undefined || schema['x-kubernetes-int-or-string'] === true || schema['x-kubernetes-preserve-unknown-fields'] === true;
  if (!typed) problems.push(`${path} has no type`);
  if (schema.properties && typeof schema.additionalProperties === 'object')
    problems.push(`${path} has properties and additionalProperties`);
  if (schema.type === 'array' && !schema.items) problems.push(`${path} is an array without items`);
  for (const [name, child] of Object.entries(schema.properties ?? {})) problems.push(...structuralProblems(child, `${path}.${name}`));
  if (schema.items) problems.push(...structuralProblems(schema.items, `${path}[]`));
  if (typeof schema.additionalProperties === 'object') problems.push(...structuralProblems(schema.additionalProperties, `${path}{}`));
  return problems;
}

describe('CRD manifests (deploy/helm/cf-k8s-api/files/crds)', () => {
  it('has exactly one CRD per Korifi kind of the kinds registry, in a file named after it', async () => {
    expect(manifests.map((crd) => crd.spec.names.kind).sort()).to.deep.equal([...korifiKindNames].sort());
    const files = (await readdir(crdDirectory)).sort();
    expect(files).to.deep.equal(manifests.map((crd) => `${crd.metadata.name}.yaml`).sort());
  });

  for (const kind of korifiKindNames) {
    it(`${kind}: group, version, names, scope and status subresource match the kinds registry`, () => {
      const descriptor = kinds[kind];
      const crd = crdOf(kind);
      expect(crd.metadata.name).to.equal(`${descriptor.plural}.${descriptor.group}`);
      expect(crd.spec.group).to.equal(descriptor.group);
      expect(crd.spec.names).to.deep.equal({ kind, listKind: `${kind}List`, plural: descriptor.plural, singular: kind.toLowerCase() });
      expect(crd.spec.scope).to.equal(descriptor.namespaced ? 'Namespaced' : 'Cluster');
      expect(crd.spec.versions).to.have.length(1);
      const [version] = crd.spec.versions;
      expect(version).to.include({ name: descriptor.version, served: true, storage: true });
      expect(version?.subresources?.status !== undefined).to.equal(descriptor.statusSubresource);
    });

    it(`${kind}: the schema is structural`, () => {
      const schema = schemaOf(kind);
      expect(schema.type).to.equal('object');
      expect(schemaAt(schema, 'metadata')).to.deep.equal({ type: 'object' });
      expect(structuralProblems(schema, kind)).to.deep.equal([]);
    });
  }

  it('has the Created At / Updated At printer columns (from the korifi.cloudfoundry.org labels) Korifi sorts by', () => {
    for (const kind of korifiKindNames.filter((name) => name !== 'BuilderInfo')) {
      const columns = crdOf(kind).spec.versions[0]!.additionalPrinterColumns ?? [];
      expect(columns, kind).to.deep.include({
        name: 'Created At',
        type: 'string',
        jsonPath: '.metadata.labels.korifi\\.cloudfoundry\\.org/created_at',
      });
      expect(columns, kind).to.deep.include({
        name: 'Updated At',
        type: 'string',
        jsonPath: '.metadata.labels.korifi\\.cloudfoundry\\.org/updated_at',
      });
    }
  });

  const requiredFields: [KorifiKind, string, string[]][] = [
    ['CFOrg', 'spec', ['displayName']],
    ['CFOrg', 'status', ['guid']],
    ['CFSpace', 'spec', ['displayName']],
    ['CFSpace', 'status', ['guid']],
    ['CFApp', 'spec', ['desiredState', 'displayName', 'lifecycle']],
    ['CFApp', 'spec.lifecycle', ['data', 'type']],
    ['CFApp', 'spec.lifecycle.data', ['stack']],
    ['CFPackage', 'spec', ['appRef', 'type']],
    ['CFBuild', 'spec', ['appRef', 'lifecycle', 'packageRef', 'stagingDiskMB', 'stagingMemoryMB']],
    ['CFBuild', 'status.droplet', ['registry']],
    ['CFProcess', 'spec', ['appRef', 'diskQuotaMB', 'healthCheck', 'memoryMB', 'processType']],
    ['CFProcess', 'spec.healthCheck', ['data', 'type']],
    ['CFRoute', 'spec', ['domainRef']],
    ['CFDomain', 'spec', ['name']],
    ['CFServiceInstance', 'spec', ['displayName', 'planGuid', 'secretName', 'type']],
    ['CFServiceBinding', 'spec', ['appRef', 'parameters', 'service', 'type']],
  ];
  for (const [kind, path, required] of requiredFields) {
    it(`${kind}: ${path} requires ${required.join(', ')}`, () => {
      expect(schemaAt(schemaOf(kind), path).required ?? []).to.include.members(required);
    });
  }

  it('keeps Korifi’s CFApp displayName pattern and the enums the API writes', () => {
    expect(schemaAt(schemaOf('CFApp'), 'spec.displayName').pattern).to.equal('^[-\\w]+$');
    expect(schemaAt(schemaOf('CFApp'), 'spec.desiredState').enum).to.deep.equal(['STOPPED', 'STARTED']);
    expect(schemaAt(schemaOf('CFApp'), 'spec.lifecycle.type').enum).to.deep.equal(['buildpack', 'docker']);
    expect(schemaAt(schemaOf('CFServiceBinding'), 'spec.type').enum).to.deep.equal(['app', 'key']);
  });

  it('survives conversion to client-node’s model, so server-side apply sends every keyword', () => {
    for (const manifest of manifests) {
      expect(parse(dumpYaml(toClientModel(manifest))), manifest.metadata.name).to.deep.equal(manifest);
    }
  });
});

/** Go's RE2 (which the apiserver uses) knows POSIX classes like `[[:alnum:]]`; JavaScript does not. */
const posixClasses: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  digit: '0-9',
  punct: '\\x21-\\x2F\\x3A-\\x40\\x5B-\\x60\\x7B-\\x7E',
  print: '\\x20-\\x7E',
};
const goRegExp = Object.assign(
  (pattern: string, flags: string) =>
    new RegExp(
      pattern.replaceAll(/\[:(\w+):\]/g, (_, name: string) => {
        const range = posixClasses[name];
        if (range === undefined) throw new Error(`unsupported POSIX class [:${name}:]`);
        return range;
      }),
      flags,
    ),
  { code: 'goRegExp' },
);

function validatorFor(kind: string): ValidateFunction {
  // strict: false ignores the x-kubernetes-* keywords; formats int32/int64/date-time come from ajv-formats.
  const ajv = new Ajv({ allErrors: true, strict: false, code: { regExp: goRegExp } });
  addFormats.default(ajv);
  return ajv.compile(schemaOf(kind));
}

function errorsOf(kind: string, object: unknown): string[] {
  const validate = validatorFor(kind);
  return validate(object) ? [] : (validate.errors ?? []).map((error) => `${error.instancePath} ${error.message ?? ''}`);
}

const condition = {
  type: 'Ready',
  status: 'True',
  reason: 'Ready',
  message: '',
  lastTransitionTime: '2026-01-02T03:04:05Z',
  observedGeneration: 1,
} as const;
const meta = (name: string, namespace: string) => ({
  name,
  namespace,
  labels: { 'korifi.cloudfoundry.org/created_at': '2026-01-02T03-04-05' },
});
const korifi = <K extends KorifiKind>(kind: K) => ({ apiVersion: 'korifi.cloudfoundry.org/v1alpha1', kind });
const lifecycle: KorifiShapes['CFApp']['spec']['lifecycle'] = {
  type: 'buildpack',
  data: { buildpacks: ['paketo-buildpacks/nodejs'], stack: 'io.buildpacks.stacks.jammy' },
};

/** One object of each kind, typed by korifi-types.ts, with most optional fields set. */
const samples: { [K in KorifiKind]: StoredObject<K> } = {
  CFOrg: {
    ...korifi('CFOrg'),
    metadata: meta('org-guid', 'cf'),
    spec: { displayName: 'My Org' },
    status: { guid: 'org-guid', conditions: [condition], observedGeneration: 1 },
  },
  CFSpace: {
    ...korifi('CFSpace'),
    metadata: meta('space-guid', 'org-guid'),
    spec: { displayName: 'dev' },
    status: { guid: 'space-guid', conditions: [condition], observedGeneration: 1 },
  },
  CFApp: {
    ...korifi('CFApp'),
    metadata: meta('app-guid', 'space-guid'),
    spec: {
      displayName: 'my-app',
      desiredState: 'STARTED',
      lifecycle,
      envSecretName: 'app-guid-env',
      currentDropletRef: { name: 'build-guid' },
    },
    status: {
      conditions: [condition],
      observedGeneration: 2,
      actualState: 'STARTED',
      vcapServicesSecretName: 'app-guid-vcap-services',
      vcapApplicationSecretName: 'app-guid-vcap-application',
      serviceBindings: [{ guid: 'binding-guid', name: 'db', secret: 'binding-secret' }],
    },
  },
  CFPackage: {
    ...korifi('CFPackage'),
    metadata: meta('package-guid', 'space-guid'),
    spec: {
      type: 'docker',
      appRef: { name: 'app-guid' },
      source: { registry: { image: 'nginx:latest', imagePullSecrets: [{ name: 'pull' }] } },
    },
    status: { conditions: [condition] },
  },
  CFBuild: {
    ...korifi('CFBuild'),
    metadata: meta('build-guid', 'space-guid'),
    spec: { packageRef: { name: 'package-guid' }, appRef: { name: 'app-guid' }, stagingMemoryMB: 1024, stagingDiskMB: 2048, lifecycle },
    status: {
      conditions: [{ ...condition, type: 'Succeeded' }],
      state: 'STAGED',
      droplet: {
        registry: { image: 'registry.example/droplets/build-guid', imagePullSecrets: [] },
        stack: 'io.buildpacks.stacks.jammy',
        processTypes: [{ type: 'web', command: 'npm start' }],
        ports: [8080],
      },
    },
  },
  CFProcess: {
    ...korifi('CFProcess'),
    metadata: meta('process-guid', 'space-guid'),
    spec: {
      appRef: { name: 'app-guid' },
      processType: 'web',
      command: 'npm start',
      detectedCommand: 'node server.js',
      healthCheck: { type: 'http', data: { httpEndpoint: '/health', invocationTimeoutSeconds: 1, timeoutSeconds: 60 } },
      desiredInstances: 2,
      memoryMB: 1024,
      diskQuotaMB: 1024,
    },
    status: {
      conditions: [condition],
      actualInstances: 2,
      instancesStatus: { '0': { state: 'RUNNING', timestamp: '2026-01-02T03:04:05Z' }, '1': { state: 'STARTING' } },
    },
  },
  CFRoute: {
    ...korifi('CFRoute'),
    metadata: meta('route-guid', 'space-guid'),
    spec: {
      host: 'my-app',
      path: '/api',
      protocol: 'http',
      domainRef: { name: 'default-domain', namespace: 'cf' },
      destinations: [{ guid: 'destination-guid', appRef: { name: 'app-guid' }, processType: 'web', port: 8080, protocol: 'http1' }],
    },
    status: {
      conditions: [condition],
      fqdn: 'my-app.apps.localhost',
      uri: 'my-app.apps.localhost/api',
      destinations: [{ guid: 'destination-guid', appRef: { name: 'app-guid' }, processType: 'web', port: 8080, protocol: 'http1' }],
    },
  },
  CFDomain: {
    ...korifi('CFDomain'),
    metadata: meta('default-domain', 'cf'),
    spec: { name: 'apps.localhost' },
    status: { conditions: [condition] },
  },
  CFServiceInstance: {
    ...korifi('CFServiceInstance'),
    metadata: meta('instance-guid', 'space-guid'),
    spec: { displayName: 'my db', secretName: 'instance-guid', type: 'user-provided', tags: ['sql'], planGuid: '' },
    status: {
      conditions: [condition],
      observedGeneration: 1,
      credentials: { name: 'instance-guid' },
      lastOperation: { type: 'create', state: 'succeeded' },
    },
  },
  CFServiceBinding: {
    ...korifi('CFServiceBinding'),
    metadata: meta('binding-guid', 'space-guid'),
    spec: {
      displayName: 'db',
      service: { kind: 'CFServiceInstance', apiVersion: 'korifi.cloudfoundry.org/v1alpha1', name: 'instance-guid' },
      appRef: { name: 'app-guid' },
      parameters: { name: '' },
      type: 'app',
    },
    status: { conditions: [condition], envSecretRef: { name: 'binding-env' }, mountSecretRef: { name: 'binding-mount' } },
  },
  CFTask: {
    ...korifi('CFTask'),
    metadata: meta('task-guid', 'space-guid'),
    spec: { command: 'rake db:migrate', appRef: { name: 'app-guid' }, canceled: false },
    status: {
      conditions: [condition],
      sequenceId: 7,
      memoryMB: 1024,
      diskQuotaMB: 1024,
      dropletRef: { name: 'build-guid' },
    },
  },
  BuilderInfo: {
    ...korifi('BuilderInfo'),
    metadata: meta('cf-kpack-builder', 'cf'),
    spec: {},
    status: {
      conditions: [condition],
      buildpacks: [
        {
          name: 'paketo-buildpacks/nodejs',
          version: '1.0.0',
          stack: 'io.buildpacks.stacks.jammy',
          creationTimestamp: '2026-01-02T03:04:05Z',
          updatedTimestamp: '2026-01-02T03:04:05Z',
        },
      ],
      stacks: [
        {
          name: 'io.buildpacks.stacks.jammy',
          description: 'Ubuntu 22.04',
          creationTimestamp: '2026-01-02T03:04:05Z',
          updatedTimestamp: '2026-01-02T03:04:05Z',
        },
      ],
    },
  },
};

describe('CRD schemas validate objects shaped by korifi-types.ts', () => {
  for (const kind of korifiKindNames) {
    it(`accepts a ${kind}`, () => {
      expect(errorsOf(kind, samples[kind as KorifiKind])).to.deep.equal([]);
    });
  }

  it('rejects what Korifi’s schema rejects', () => {
    const app = samples.CFApp;
    expect(errorsOf('CFApp', { ...app, spec: { ...app.spec, displayName: 'my app' } })).to.deep.equal([
      '/spec/displayName must match pattern "^[-\\w]+$"',
    ]);
    expect(errorsOf('CFApp', { ...app, spec: { ...app.spec, desiredState: 'RUNNING' } })).to.deep.equal([
      '/spec/desiredState must be equal to one of the allowed values',
    ]);
    const withoutLifecycle: Record<string, unknown> = { ...app.spec };
    delete withoutLifecycle['lifecycle'];
    expect(errorsOf('CFApp', { ...app, spec: withoutLifecycle })).to.deep.equal(["/spec must have required property 'lifecycle'"]);
    expect(errorsOf('CFOrg', { ...samples.CFOrg, spec: { displayName: '' } })).to.have.length(1);
    expect(errorsOf('CFOrg', { ...samples.CFOrg, status: { conditions: [] } })).to.deep.equal([
      "/status must have required property 'guid'",
    ]);
    expect(errorsOf('CFProcess', { ...samples.CFProcess, spec: { ...samples.CFProcess.spec, memoryMB: 'lots' } })).to.not.deep.equal([]);
  });

  it('reads POSIX classes in patterns the way the apiserver (Go RE2) does', () => {
    expect(errorsOf('CFOrg', { ...samples.CFOrg, spec: { displayName: 'Org with spaces & punctuation!' } })).to.deep.equal([]);
    expect(errorsOf('CFSpace', { ...samples.CFSpace, spec: { displayName: 'tab\tinside' } })).to.have.length(1);
  });
});
