import { expect } from 'chai';
import { applyStructuralSchema, fromRe2 } from '../../../src/store/embedded/structural-schema.ts';
import type { CrdSchema } from '../../../src/store/kubernetes/crd-manifests.ts';
import { app, namespace, rejection, testStore, type TestStore } from './store-fixtures.ts';

const schema: CrdSchema = {
  type: 'object',
  properties: {
    apiVersion: { type: 'string' },
    kind: { type: 'string' },
    metadata: { type: 'object' },
    spec: {
      type: 'object',
      required: ['name'],
      properties: {
        name: { type: 'string', pattern: '^[a-z]+$', minLength: 2, maxLength: 5 },
        state: { type: 'string', enum: ['ON', 'OFF'] },
        count: { type: 'integer', minimum: 0, maximum: 9 },
        ratio: { type: 'number' },
        enabled: { type: 'boolean' },
        ref: { type: 'object', properties: { name: { type: 'string', default: '' } } },
        tags: { type: 'array', items: { type: 'string' } },
        when: { type: 'string', format: 'date-time' },
        port: { 'x-kubernetes-int-or-string': true },
        optional: { type: 'string', nullable: true },
        byKey: { type: 'object', additionalProperties: { type: 'object', required: ['state'], properties: { state: { type: 'string' } } } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        mode: { type: 'string', default: 'auto' },
      },
    },
    status: { type: 'object', properties: { phase: { type: 'string' } } },
  },
};

const conform = (resource: Record<string, unknown>) => ({ problems: applyStructuralSchema(schema, resource), resource });

describe('structural schemas (custom resources)', () => {
  it('prunes unknown fields at every level, but not metadata', () => {
    const { problems, resource } = conform({
      metadata: { name: 'x', whatever: 1 },
      spec: {
        name: 'ab',
        unknown: 1,
        ref: { name: 'r', extra: true },
        byKey: { a: { state: 'x', extra: 1 } },
        free: { anything: { goes: 1 } },
      },
      topLevel: 'dropped',
    });
    expect(problems).to.deep.equal([]);
    expect(resource).to.deep.equal({
      metadata: { name: 'x', whatever: 1 },
      spec: { name: 'ab', ref: { name: 'r' }, byKey: { a: { state: 'x' } }, free: { anything: { goes: 1 } }, mode: 'auto' },
    });
  });

  it('drops nulls where the schema does not allow them, then defaults', () => {
    const { problems, resource } = conform({ spec: { name: 'ab', mode: null, optional: null, ref: {} } });
    expect(problems).to.deep.equal([]);
    expect(resource).to.deep.equal({ spec: { name: 'ab', mode: 'auto', optional: null, ref: { name: '' } } });
  });

  it('words each kind of problem as the apiserver does', () => {
    const { problems } = conform({
      spec: {
        state: 'SLEEPING',
        count: 1.5,
        ratio: 'high',
        enabled: 'yes',
        tags: ['a', 2],
        when: 'yesterday',
        port: true,
        byKey: { a: {} },
      },
    });
    expect(problems).to.deep.equal([
      'spec.name: Required value',
      'spec.state: Unsupported value: "SLEEPING": supported values: "ON", "OFF"',
      'spec.count: Invalid value: "number": spec.count in body must be of type integer: "number"',
      'spec.ratio: Invalid value: "string": spec.ratio in body must be of type number: "string"',
      'spec.enabled: Invalid value: "string": spec.enabled in body must be of type boolean: "string"',
      'spec.tags[1]: Invalid value: "integer": spec.tags[1] in body must be of type string: "integer"',
      'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
      'spec.port: Invalid value: "boolean": spec.port in body must be of type int-or-string: "boolean"',
      'spec.byKey.a.state: Required value',
    ]);
  });

  it('checks string lengths, patterns and number ranges', () => {
    expect(conform({ spec: { name: 'a' } }).problems).to.deep.equal([
      'spec.name: Invalid value: "a": spec.name in body should be at least 2 chars long',
    ]);
    expect(conform({ spec: { name: 'abcdef' } }).problems).to.deep.equal(['spec.name: Too long: may not be longer than 5']);
    expect(conform({ spec: { name: 'AB' } }).problems).to.deep.equal([
      `spec.name: Invalid value: "AB": spec.name in body should match '^[a-z]+$'`,
    ]);
    expect(conform({ spec: { name: 'ab', count: -1 } }).problems).to.deep.equal([
      'spec.count: Invalid value: -1: spec.count in body should be greater than or equal to 0',
    ]);
    expect(conform({ spec: { name: 'ab', count: 10 } }).problems).to.deep.equal([
      'spec.count: Invalid value: 10: spec.count in body should be less than or equal to 9',
    ]);
  });

  it('accepts what the schema allows', () => {
    const valid = {
      spec: { name: 'ab', state: 'ON', count: 3, ratio: 0.5, enabled: true, tags: [], when: '2026-11-27T01:30:00Z', port: 8080 },
    };
    expect(conform(valid).problems).to.deep.equal([]);
    expect(conform({ spec: { name: 'ab', port: 'http' } }).problems).to.deep.equal([]);
  });

  it('reads the POSIX classes of Go patterns', () => {
    const printable = new RegExp(fromRe2('^[[:alnum:][:punct:][:print:]]+$'));
    expect(printable.test('My Org-1 (test)!')).to.equal(true);
    expect(printable.test('tab\there')).to.equal(false);
    expect(new RegExp(fromRe2('^[[:digit:]]+$')).test('123')).to.equal(true);
    expect(new RegExp(fromRe2('^[[:upper:][:space:]]+$')).test('A B')).to.equal(true);
  });

  describe('in the store (the CRDs of deploy/helm/cf-k8s-api/files/crds)', () => {
    let t: TestStore;
    beforeEach(async () => {
      t = await testStore();
      await t.admin.create(namespace('space-1'));
    });
    afterEach(async () => t.dispose());
    const ref = { kind: 'CFApp' as const, namespace: 'space-1', name: 'app-1' };

    it('refuses a custom resource that breaks its CRD schema', async () => {
      const { reason, message } = await rejection(
        t.admin.create({ ...app('space-1', 'app-1'), spec: { ...app('space-1', 'app-1').spec, desiredState: 'SLEEPING' as 'STOPPED' } }),
      );
      expect(reason).to.equal('Invalid');
      expect(message).to.equal(
        'CFApp.korifi.cloudfoundry.org "app-1" is invalid: spec.desiredState: Unsupported value: "SLEEPING": supported values: "STOPPED", "STARTED"',
      );
    });

    it('prunes unknown fields on create and patch, and defaults', async () => {
      const created = await t.admin.create({
        ...app('space-1', 'app-1'),
        spec: { ...app('space-1', 'app-1').spec, unknownField: 1, currentDropletRef: {} } as never,
      });
      expect(created.spec).not.to.have.property('unknownField');
      expect(created.spec.currentDropletRef).to.deep.equal({ name: '' });
      const patched = await t.admin.patch(ref, { spec: { anotherUnknown: true } });
      expect(patched.metadata.resourceVersion).to.equal(created.metadata.resourceVersion);
    });

    it('validates status writes against the schema', async () => {
      await t.admin.create(app('space-1', 'app-1'));
      const condition = { type: 'Ready', status: 'Maybe', reason: 'Because', message: '', lastTransitionTime: '2026-11-27T01:30:00Z' };
      const { reason, message } = await rejection(t.admin.patchStatus(ref, { conditions: [condition] }));
      expect(reason).to.equal('Invalid');
      expect(message).to.contain('status.conditions[0].status: Unsupported value: "Maybe"');
      await t.admin.patchStatus(ref, { conditions: [{ ...condition, status: 'True' }] });
    });

    it('drops fields built-in kinds and metadata do not have', async () => {
      const secret = await t.admin.create({
        kind: 'Secret',
        metadata: { name: 's', namespace: 'space-1', colour: 'red' },
        anything: 1,
      } as never);
      expect(secret).not.to.have.property('anything');
      expect(secret.metadata).not.to.have.property('colour');
      const created = await t.admin.create({
        ...app('space-1', 'app-1'),
        metadata: { ...app('space-1', 'app-1').metadata, colour: 'red' } as never,
      });
      expect(created.metadata).not.to.have.property('colour');
    });
  });
});
