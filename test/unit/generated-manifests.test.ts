import { expect } from 'chai';
import { builtInClusterRoles, loadClusterRoleManifests } from '../../src/domain/roles/cluster-role-manifests.ts';
import { loadCrdSchemas, storageSchemas } from '../../src/store/embedded/crd-schemas.ts';
import { crdDirectory, loadCrdManifests } from '../../src/store/kubernetes/crd-manifests.ts';
import { dereference, loadDocument } from '../../src/http/openapi-document.ts';

describe('what the server reads at start instead of YAML', () => {
  it('the generated CRD schemas are the storage versions of deploy/helm/cf-k8s-api/files/crds/', async () => {
    const fromYaml = storageSchemas(await loadCrdManifests(crdDirectory));
    const generated = await loadCrdSchemas();
    expect([...generated.keys()].sort()).to.deep.equal([...fromYaml.keys()].sort());
    expect(generated.get('CFApp')).to.have.nested.property('properties.spec.properties.displayName');
    for (const [kind, schema] of fromYaml) expect(generated.get(kind), kind).to.deep.equal(schema);
  });

  it('another CRD directory is still read from its YAML', async () => {
    const schemas = await loadCrdSchemas(`${crdDirectory}/.`);
    expect(schemas.get('CFTask')).to.deep.equal((await loadCrdSchemas()).get('CFTask'));
  });

  it('the generated ClusterRoles are deploy/helm/cf-k8s-api/files/cf-roles/', async () => {
    expect(await builtInClusterRoles()).to.deep.equal(await loadClusterRoleManifests());
  });
});

type Dereferenced = {
  paths: Record<string, { get: { parameters: unknown[]; x: unknown } }>;
  components: { parameters: { Guid: { schema: unknown } }; schemas: Record<string, { properties: Record<string, unknown> }> };
};

describe('loadDocument', () => {
  it('lists every operation with path-level parameters after its own and the global security unless it has its own', async () => {
    const { document, operations } = await loadDocument();
    expect(operations).to.have.length.greaterThan(100);
    const info = operations.find((operation) => operation.operationId === 'getInfo');
    expect(info).to.include({ method: 'get', path: '/v3/info' });
    const getApp = operations.find((operation) => operation.method === 'get' && operation.path === '/v3/apps/{guid}');
    expect(getApp?.parameters?.map((parameter) => (parameter as { name: string }).name)).to.include('guid');
    expect(info?.security).to.deep.equal([]);
    expect(getApp?.security).to.deep.equal(document.security).and.to.have.length(2);
    expect(JSON.stringify(getApp).includes('"$ref"')).to.equal(false);
  });

  it('resolves local references in place, sharing one object per component, cycles included', () => {
    const root = dereference({
      paths: { '/a': { get: { parameters: [{ $ref: '#/components/parameters/Guid' }], x: { $ref: '#/components/schemas/Node' } } } },
      components: {
        parameters: { Guid: { name: 'guid', in: 'path', schema: { $ref: '#/components/schemas/Text' } } },
        schemas: {
          Text: { type: 'string' },
          Node: {
            type: 'object',
            properties: { next: { $ref: '#/components/schemas/Node' }, 'a/b': { $ref: '#/components/schemas/a~1b' } },
          },
          'a/b': { type: 'integer' },
        },
      },
    }) as Dereferenced;
    const schemas = root.components.schemas;
    expect(root.paths['/a']?.get.parameters[0]).to.equal(root.components.parameters.Guid);
    expect(root.components.parameters.Guid.schema).to.equal(schemas['Text']);
    expect(schemas['Node']?.properties['next']).to.equal(schemas['Node']);
    expect(root.paths['/a']?.get.x).to.equal(schemas['Node']);
    expect(schemas['Node']?.properties['a/b']).to.equal(schemas['a/b']);
  });

  it('names a reference it cannot resolve', () => {
    expect(() => dereference({ a: { $ref: '#/components/schemas/Missing' } })).to.throw(/no #\/components\/schemas\/Missing/);
    expect(() => dereference({ a: { $ref: 'other.yaml#/x' } })).to.throw(/Only local references/);
  });
});
