import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import { assertEveryOperationHasAHandler } from '../../src/app.ts';
import { builtHandlers, notYetBuilt } from '../../src/handlers/index.ts';
import { CompiledOperation } from '../../src/http/compiled-operation.ts';
import { documentUrl, loadDocument } from '../../src/http/openapi-document.ts';
import { SchemaCompiler } from '../../src/http/schema-compiler.ts';

type Schema = { $ref?: string; additionalProperties?: unknown };
type Response = {
  $ref?: string;
  headers?: Record<string, unknown>;
  content?: Record<string, { example?: unknown; examples?: Record<string, unknown> }>;
};
type Operation = {
  operationId?: string;
  summary?: string;
  tags?: string[];
  security?: unknown[];
  parameters?: ({ $ref: string } | { in: string; name: string })[];
  requestBody?: { $ref?: string; content: Record<string, { schema: Schema }> };
  responses: Record<string, Response>;
};
type Document = {
  paths: Record<string, Record<string, Operation>>;
  components: { parameters: Record<string, { style?: string; explode?: boolean; schema?: { type?: string } }> };
};

/** The endpoints the product must serve: Korifi's documented list plus what the cf CLI calls beyond it. */
const requiredEndpoints = [
  // Root, info, identity, log cache
  'GET /',
  'GET /v3',
  'GET /v3/info',
  'GET /whoami',
  'GET /api/v1/info',
  'GET /api/v1/read/{source_id}',
  // Apps
  'POST /v3/apps',
  'GET /v3/apps/{guid}',
  'GET /v3/apps',
  'DELETE /v3/apps/{guid}',
  'GET /v3/apps/{guid}/droplets/current',
  'GET /v3/apps/{guid}/env',
  'PATCH /v3/apps/{guid}/relationships/current_droplet',
  'POST /v3/apps/{guid}/actions/start',
  'POST /v3/apps/{guid}/actions/stop',
  'POST /v3/apps/{guid}/actions/restart',
  'PATCH /v3/apps/{guid}/environment_variables',
  // Builds, buildpacks, domains, droplets
  'POST /v3/builds',
  'GET /v3/builds/{guid}',
  'PATCH /v3/builds/{guid}',
  'GET /v3/buildpacks',
  'GET /v3/domains',
  'GET /v3/organizations/{guid}/domains',
  'GET /v3/droplets/{guid}',
  'GET /v3/packages/{guid}/droplets',
  'PATCH /v3/droplets/{guid}',
  // Jobs, manifests, organizations
  'GET /v3/jobs/{guid}',
  'POST /v3/spaces/{guid}/actions/apply_manifest',
  'POST /v3/spaces/{guid}/manifest_diff',
  'POST /v3/organizations',
  'GET /v3/organizations/{guid}',
  'GET /v3/organizations',
  'DELETE /v3/organizations/{guid}',
  // Packages, processes, resource matches, roles
  'POST /v3/packages',
  'GET /v3/packages/{guid}',
  'GET /v3/packages',
  'POST /v3/packages/{guid}/upload',
  'GET /v3/processes/{guid}',
  'GET /v3/processes/{guid}/stats',
  'GET /v3/processes',
  'GET /v3/apps/{guid}/processes',
  'PATCH /v3/processes/{guid}',
  'POST /v3/processes/{guid}/actions/scale',
  'POST /v3/apps/{guid}/processes/{type}/actions/scale',
  'POST /v3/resource_matches',
  'POST /v3/roles',
  // Routes
  'POST /v3/routes',
  'GET /v3/routes/{guid}',
  'GET /v3/routes',
  'GET /v3/apps/{guid}/routes',
  'DELETE /v3/routes/{guid}',
  'GET /v3/routes/{guid}/destinations',
  'POST /v3/routes/{guid}/destinations',
  'DELETE /v3/routes/{guid}/destinations/{destination_guid}',
  // Services
  'POST /v3/service_instances',
  'GET /v3/service_instances',
  'DELETE /v3/service_instances/{guid}',
  'POST /v3/service_credential_bindings',
  'GET /v3/service_credential_bindings',
  'DELETE /v3/service_credential_bindings/{guid}',
  'GET /v3/service_route_bindings',
  // Sidecars, spaces, tasks
  'GET /v3/processes/{guid}/sidecars',
  'POST /v3/spaces',
  'GET /v3/spaces',
  'DELETE /v3/spaces/{guid}',
  'GET /v3/spaces/{guid}',
  'POST /v3/apps/{guid}/tasks',
  'GET /v3/tasks/{guid}',
  'GET /v3/tasks',
  'GET /v3/apps/{guid}/tasks',
  'POST /v3/tasks/{guid}/actions/cancel',
  'PUT /v3/tasks/{guid}/cancel',
  // Beyond the list, called by everyday cf CLI commands
  'GET /v3/deployments',
  'GET /v3/roles',
  'DELETE /v3/roles/{guid}',
  'GET /v3/users',
  'GET /v3/organization_quotas',
  'GET /v3/apps/{guid}/environment_variables',
  'GET /v3/apps/{guid}/processes/{type}',
  'PATCH /v3/organizations/{guid}',
  'PATCH /v3/spaces/{guid}',
  'GET /v3/stacks',
  'GET /v3/organizations/{guid}/domains/default',
  'GET /v3/isolation_segments',
  'GET /v3/organizations/{guid}/relationships/default_isolation_segment',
  'GET /v3/spaces/{guid}/running_security_groups',
  'GET /v3/spaces/{guid}/staging_security_groups',
  'GET /v3/apps/{guid}/droplets',
  'GET /v3/apps/{guid}/packages',
  // The app lifecycle beyond Korifi's list: what cf push, start, restart, scale, app, env, run-task,
  // terminate-task, delete, enable-ssh and cf curl users call (issue 10)
  'PATCH /v3/apps/{guid}',
  'GET /v3/apps/{guid}/relationships/current_droplet',
  'GET /v3/apps/{guid}/features',
  'GET /v3/apps/{guid}/features/{name}',
  'PATCH /v3/apps/{guid}/features/{name}',
  'GET /v3/apps/{guid}/ssh_enabled',
  'GET /v3/apps/{guid}/processes/{type}/stats',
  'DELETE /v3/apps/{guid}/processes/{type}/instances/{index}',
  'DELETE /v3/processes/{guid}/instances/{index}',
  'GET /v3/apps/{guid}/sidecars',
  'GET /v3/builds',
  'GET /v3/droplets',
  'GET /v3/apps/{guid}/manifest',
  'PATCH /v3/packages/{guid}',
  'PATCH /v3/tasks/{guid}',
  'POST /v3/deployments',
  'GET /v3/deployments/{guid}',
];

const methods = ['get', 'post', 'put', 'patch', 'delete'];

describe('the bundled OpenAPI document', () => {
  let document: Document;
  let operations: (Operation & { key: string })[];
  /** Follows local `$ref`s (`#/components/...`) of the bundled document. */
  const resolve = <T extends { $ref?: string }>(value: T): T => {
    let resolved: T = value;
    while (resolved.$ref !== undefined) {
      const keys = resolved.$ref.split('/').slice(1);
      resolved = keys.reduce<unknown>(
        (node, key) => (node as Record<string, unknown>)[key.replaceAll('~1', '/').replaceAll('~0', '~')],
        document,
      ) as T;
    }
    return resolved;
  };
  before(async () => {
    document = JSON.parse(await readFile(documentUrl, 'utf8')) as Document;
    operations = Object.entries(document.paths).flatMap(([path, item]) =>
      methods.filter((method) => item[method]).map((method) => ({ ...item[method]!, key: `${method.toUpperCase()} ${path}` })),
    );
  });

  it('declares every endpoint the product must serve', () => {
    const declared = new Set(operations.map((operation) => operation.key));
    expect(requiredEndpoints.filter((endpoint) => !declared.has(endpoint))).to.deep.equal([]);
  });

  it('gives every operation a unique operationId, a summary, a tag and an example of its success response', () => {
    const ids = operations.map((operation) => operation.operationId);
    expect(new Set(ids).size).to.equal(operations.length);
    for (const operation of operations) {
      expect(operation.operationId, operation.key).to.match(/^[a-z][A-Za-z0-9]+$/);
      expect(operation.summary, operation.key).to.be.a('string');
      expect(operation.tags, operation.key).to.have.length.greaterThan(0);
      const successes = Object.entries(operation.responses).filter(([status]) => /^2/.test(status));
      for (const [status, response] of successes) {
        for (const [type, media] of Object.entries(response.content ?? {})) {
          expect(media.example ?? media.examples, `${operation.key} ${status} ${type} example`).to.not.equal(undefined);
        }
      }
    }
  });

  it('declares X-Cf-Warnings on every success response of an authenticated operation, and only there', () => {
    const wrong = operations.flatMap((operation) => {
      const authenticated = operation.security === undefined || operation.security.length > 0;
      return Object.entries(operation.responses)
        .filter(([status]) => /^2/.test(status))
        .filter(([, response]) => authenticated !== (resolve(response).headers?.['X-Cf-Warnings'] !== undefined))
        .map(([status]) => `${operation.key} ${status}`);
    });
    expect(wrong).to.deep.equal([]);
  });

  it('refuses unknown fields in every request body', () => {
    const open = operations.flatMap((operation) =>
      Object.entries(operation.requestBody ? resolve(operation.requestBody).content : {})
        .filter(([, media]) => resolve(media.schema).additionalProperties !== false)
        .map(([type]) => `${operation.key} ${type}`),
    );
    expect(open).to.deep.equal([]);
  });

  it('lets every paginated list of the app lifecycle be sorted with order_by, as CAPI does', () => {
    const lifecycleTags = [
      'Apps',
      'Processes',
      'Sidecars',
      'Tasks',
      'Builds',
      'Buildpacks',
      'Stacks',
      'Droplets',
      'Packages',
      'Deployments',
    ];
    const queryNames = (operation: Operation & { key: string }) => {
      const item = document.paths[operation.key.slice(operation.key.indexOf(' ') + 1)] as { parameters?: Operation['parameters'] };
      return [...(item.parameters ?? []), ...(operation.parameters ?? [])]
        .map((parameter) => resolve(parameter as { $ref?: string; in?: string; name?: string }))
        .filter((parameter) => parameter.in === 'query')
        .map((parameter) => parameter.name);
    };
    const unsortable = operations
      .filter((operation) => operation.tags?.some((tag) => lifecycleTags.includes(tag)))
      .filter((operation) => queryNames(operation).includes('page') && !queryNames(operation).includes('order_by'))
      .map((operation) => operation.key);
    expect(unsortable).to.deep.equal([]);
  });

  it('declares every comma-separated list filter with explode: false', () => {
    const lists = Object.entries(document.components.parameters).filter(([, parameter]) => parameter.schema?.type === 'array');
    const exploded = lists.filter(([name, parameter]) => parameter.explode !== false && name !== 'EnvelopeTypes');
    expect(exploded.map(([name]) => name)).to.deep.equal([]);
  });

  it('has a handler for every operation and none for operations it does not declare', () => {
    expect(() => assertEveryOperationHasAHandler(operations.map((operation) => operation.operationId!))).to.not.throw();
    expect(() => assertEveryOperationHasAHandler([...operations.map((operation) => operation.operationId!), 'listWidgets'])).to.throw(
      /Missing: \[listWidgets\]/,
    );
  });

  it('compiles every request schema of every operation (the server compiles each on first use)', async () => {
    const compiler = new SchemaCompiler();
    const compiled = (await loadDocument()).operations.map((operation) => new CompiledOperation(operation, compiler));
    expect(compiled.length).to.equal(operations.length);
    expect(() => compiler.compileAll()).to.not.throw();
  });

  it('lists as not built (501) only operations that have no real handler', () => {
    const both = notYetBuilt.filter((operationId) => Object.hasOwn(builtHandlers, operationId));
    expect(both, 'built and still listed as not built').to.deep.equal([]);
  });
});
