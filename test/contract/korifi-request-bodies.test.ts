import { expect } from 'chai';
import { CompiledOperation } from '../../src/http/compiled-operation.ts';
import { loadDocument } from '../../src/http/openapi-document.ts';
import { SchemaCompiler } from '../../src/http/schema-compiler.ts';

const guid = '5a2c9a0e-7b6f-4c0f-9a51-0f5e5b3d6c11';

/**
 * Bodies Korifi's API takes (its payloads decode with Go's encoding/json, where null is "absent" and
 * most values are unchecked): a client written against Korifi must not get a 422 from us for them.
 */
const acceptedByKorifi: [operationId: string, body: unknown][] = [
  ['updateAppEnvironmentVariables', { var: { PORT_NUMBER: 8080, RATIO: 0.5 } }],
  ['updateAppEnvironmentVariables', { var: { SETTINGS: { nested: true }, LIST: ['a'] } }],
  ['scaleProcess', { instances: null, memory_in_mb: null, disk_in_mb: 512 }],
  ['scaleAppProcess', { instances: 2, memory_in_mb: null }],
  ['updateProcess', { command: '' }],
  ['updateProcess', { health_check: { type: '', data: { timeout: 0, invocation_timeout: 0, endpoint: '/'.repeat(300) } } }],
  ['updateProcess', { health_check: { type: 'http', data: null }, metadata: null }],
  ['updateProcess', { health_check: null }],
  ['createBuild', { package: { guid }, staging_memory_in_mb: -1, staging_disk_in_mb: null, lifecycle: null, metadata: null }],
  ['createPackage', { type: 'bits', relationships: { app: { data: { guid } } }, data: null }],
  [
    'createPackage',
    { type: 'docker', relationships: { app: { data: { guid } } }, data: { image: 'nginx', username: null, password: null } },
  ],
  ['createDeployment', { droplet: {}, relationships: { app: { data: { guid } } } }],
  ['createDeployment', { droplet: { guid: '' }, relationships: { app: { data: { guid } } } }],
  ['createDeployment', { droplet: null, relationships: { app: { data: { guid } } } }],
  ['createResourceMatch', {}],
  ['createResourceMatch', { resources: [{ checksum: { value: 'not-a-sha1' }, path: 'a', mode: '100644' }] }],
  ['createTask', { command: 'rake db:migrate', metadata: null }],
  ['updateTask', { metadata: null }],
  ['updateDroplet', { metadata: null }],
  ['updatePackage', { metadata: null }],
];

/** Bodies that stay refused: the leniency is Korifi's, not "anything goes". */
const stillRefused: [operationId: string, body: unknown][] = [
  ['updateAppEnvironmentVariables', { var: { PORT: 8080 } }],
  ['updateAppEnvironmentVariables', { var: {} }],
  ['scaleProcess', { instances: -1 }],
  ['scaleProcess', { memory_in_mb: 0 }],
  ['updateProcess', { health_check: { type: 'exec' } }],
  ['updateProcess', { command: 42 }],
  ['createBuild', { staging_memory_in_mb: 1 }],
  ['createPackage', { type: 'bits', relationships: { app: { data: { guid } } }, data: { unknown: true } }],
  ['createDeployment', { droplet: { guid: 'x' } }],
  ['createResourceMatch', { resources: [{ mode: 'rw-r--r--' }] }],
  ['createResourceMatch', { matches: [] }],
];

describe('request bodies Korifi accepts', () => {
  let operations: Map<string, CompiledOperation>;
  before(async () => {
    const compiler = new SchemaCompiler();
    const { operations: declared } = await loadDocument();
    operations = new Map(declared.map((operation) => [operation.operationId!, new CompiledOperation(operation, compiler)]));
  });

  const validate = (operationId: string, body: unknown) => {
    const operation = operations.get(operationId);
    expect(operation, operationId).to.not.equal(undefined);
    operation!.validateBody(body);
  };

  for (const [operationId, body] of acceptedByKorifi) {
    it(`${operationId} accepts ${JSON.stringify(body).slice(0, 140)}`, () => {
      expect(() => validate(operationId, body)).to.not.throw();
    });
  }

  for (const [operationId, body] of stillRefused) {
    it(`${operationId} still refuses ${JSON.stringify(body)}`, () => {
      expect(() => validate(operationId, body)).to.throw();
    });
  }

  it('takes a resource match request without a body, as Korifi ignores it', () => {
    const body = operations.get('createResourceMatch')!.body;
    expect(body && body.format !== 'raw' && body.required).to.equal(false);
  });
});
