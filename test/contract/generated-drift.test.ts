import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const root = new URL('../../', import.meta.url).pathname;
const run = promisify(execFile);

/** A copy of the parts of the repository the generator reads and writes (the manifests' loaders are in src/), sharing node_modules. */
async function copyOfRepository(): Promise<string> {
  const copy = await mkdtemp(join(tmpdir(), 'cf-api-drift-'));
  for (const entry of ['openapi', 'deploy', 'src', 'generated', 'scripts', 'redocly.yaml', 'package.json'])
    await cp(join(root, entry), join(copy, entry), { recursive: true });
  // The SDK's copy of the types is checked too (only its generated file: its build and installs stay behind).
  await cp(join(root, 'sdk/src/generated'), join(copy, 'sdk/src/generated'), { recursive: true });
  await symlink(join(root, 'node_modules'), join(copy, 'node_modules'));
  return copy;
}

/** How the check failed in that copy, or undefined when it passed. */
function checkFailure(copy: string): Promise<{ code: number; stderr: string } | undefined> {
  return run('scripts/check-generated.sh', { cwd: copy }).then(
    () => undefined,
    (error: { code: number; stderr: string }) => error,
  );
}

describe('the generated-code check (npm run generate:check)', function () {
  this.timeout(60_000);
  let copy: string;
  before(async () => {
    copy = await copyOfRepository();
  });
  after(() => rm(copy, { recursive: true, force: true }));

  it('passes when generated/ matches openapi/', async () => {
    const { stdout } = await run('scripts/check-generated.sh', { cwd: copy });
    expect(stdout).to.contain('generated/ and sdk/src/generated/ match openapi/');
  });

  it("fails when the SDK's copy of the types was edited by hand", async () => {
    const sdkSchema = join(copy, 'sdk/src/generated/schema.ts');
    const original = await readFile(sdkSchema, 'utf8');
    await writeFile(sdkSchema, `${original}\nexport type Edited = true;\n`);
    const failure = await checkFailure(copy);
    await writeFile(sdkSchema, original);
    expect(failure, 'the check should fail').to.not.equal(undefined);
    expect(failure!.stderr).to.contain('sdk/src/generated/schema.ts is out of date');
  });

  it('fails when a field type changes in openapi/ without regenerating', async () => {
    const schema = join(copy, 'openapi/components/schemas/LogCacheInfo.yaml');
    const original = await readFile(schema, 'utf8');
    const changed = original.replace(/vm_uptime:\n(\s+)type: string/, 'vm_uptime:\n$1type: [string, integer]');
    expect(changed).to.not.equal(original);
    await writeFile(schema, changed);
    const failure = await checkFailure(copy);
    expect(failure, 'the check should fail').to.not.equal(undefined);
    expect(failure!.code).to.equal(1);
    expect(failure!.stderr).to.contain('generated/openapi.json is out of date').and.to.contain('generated/openapi-types.ts is out of date');
  });

  it('fails when a CRD changes in deploy/ without regenerating', async () => {
    const crd = join(copy, 'deploy/helm/cf-k8s-api/files/crds/cfapps.korifi.cloudfoundry.org.yaml');
    const original = await readFile(crd, 'utf8');
    const changed = original.replace(/(displayName:\n(?:.*\n)*?\s+)pattern: .*/, '$1pattern: ^[a-z]+$');
    expect(changed).to.not.equal(original);
    await writeFile(crd, changed);
    const failure = await checkFailure(copy);
    expect(failure, 'the check should fail').to.not.equal(undefined);
    expect(failure!.stderr).to.contain('generated/crd-schemas.json is out of date');
  });
});
