import { expect } from 'chai';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../support/test-server.ts';
import { makeZip } from '../unit/bits/zip-fixtures.ts';
import { repositoryRoot, run } from './support.ts';

/** The ```ts blocks of a Markdown file, in order. */
export function typescriptBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
}

/**
 * Uses of the SDK that must not compile, one per line ending in `// must not compile: <the TypeScript
 * error>`; every other line must compile. Checked against the types of the installed tarball, as a
 * project using the SDK sees them.
 */
const wrongUsage = `import { createCfClient } from '@cf-k8s-api/sdk';
const cf = createCfClient({ baseUrl: 'http://127.0.0.1:1' });
await cf.POST('/v3/organizations', { body: { name: 42 } }); // must not compile: TS2322
await cf.POST('/v3/organizations', { body: { nmae: 'typo' } }); // must not compile: TS2353
await cf.POST('/v3/organizations'); // must not compile: TS2554
await cf.POST('/v3/apps', { body: { name: 'a', relationships: { space: { data: {} } } } }); // must not compile: TS2322
await cf.PATCH('/v3/apps/{guid}', { params: { path: { guid: 'g' } }, body: { lifecycle: { type: 'bogus', data: {} } } }); // must not compile: TS2322
await cf.GET('/v3/apps', { params: { query: { per_page: 'ten' } } }); // must not compile: TS2322
await cf.GET('/v3/apps', { params: { query: { order_by: 'size' } } }); // must not compile: TS2322
await cf.GET('/v3/apps/{guid}'); // must not compile: TS2554
await cf.GET('/v3/no-such-path'); // must not compile: TS2554
const { data: app } = await cf.GET('/v3/apps/{guid}', { params: { path: { guid: 'g' } } });
const size: number = app.name; // must not compile: TS2322
cf.pages('/v3/apps/{guid}', { params: { path: { guid: 'g' } } }); // must not compile: TS2345
const name: string = app.name;
const { data: org } = await cf.POST('/v3/organizations', { body: { name, metadata: { labels: { a: 'b' } } } });
for await (const page of cf.pages('/v3/apps', { params: { query: { names: [org.name], per_page: 5 } } })) console.log(page.resources[0]?.state, size);
`;

describe('SDK package', function () {
  this.timeout(300_000);
  let work: string;
  let project: string;
  let tarball: string;
  let server: TestServer;
  let blocks: string[];
  let rootBlocks: string[];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'cfapi-sdk-package-'));
    // What a user of the repository runs: the prepack script builds sdk/dist first.
    const { stdout } = await run('npm', ['pack', '-w', 'sdk', '--pack-destination', work, '--json'], {
      cwd: repositoryRoot,
      maxBuffer: 1 << 24,
    });
    tarball = join(work, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
    project = join(work, 'project');
    await mkdir(project);
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'uses-the-sdk', version: '1.0.0', private: true, type: 'module' }),
    );
    // The SDK's dependencies come from npm's cache, which the repository's own install filled.
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: project });
    blocks = typescriptBlocks(await readFile(join(repositoryRoot, 'sdk/README.md'), 'utf8'));
    for (const [index, block] of blocks.entries()) await writeFile(join(project, `readme-${index + 1}.ts`), block);
    // The repository's README shows the SDK too: its ts blocks are compiled and run the same way.
    rootBlocks = typescriptBlocks(await readFile(join(repositoryRoot, 'README.md'), 'utf8'));
    for (const [index, block] of rootBlocks.entries()) await writeFile(join(project, `root-readme-${index + 1}.ts`), block);
    await writeFile(join(project, 'app.zip'), await makeZip([{ path: 'index.js', content: 'console.log("hello")\n' }]));
    server = await startTestServer();
  });
  after(async () => {
    await server?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('packs the built ESM, its declarations, the README and package.json, and nothing else', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout.trim().split('\n').sort();
    expect(files).to.include.members([
      'package/package.json',
      'package/README.md',
      'package/dist/index.js',
      'package/dist/index.d.ts',
      'package/dist/client.js',
      'package/dist/generated/schema.d.ts',
    ]);
    expect(files.filter((file) => !/^package\/(package\.json|README\.md|dist\/[\w/-]+\.(js|d\.ts))$/.test(file))).to.deep.equal([]);
    const manifest = JSON.parse(await readFile(join(project, 'node_modules/@cf-k8s-api/sdk/package.json'), 'utf8')) as Record<
      string,
      unknown
    >;
    expect(manifest['dependencies']).to.deep.equal({ 'openapi-fetch': '0.17.0', 'openapi-typescript-helpers': '0.1.0', yaml: '2.9.1' });
  });

  it('installs into a project of its own and is imported from there', async () => {
    await writeFile(
      join(project, 'smoke.mjs'),
      `import * as sdk from '@cf-k8s-api/sdk';
const cf = sdk.createCfClient({ baseUrl: process.env.CF_API });
const { data } = await cf.GET('/v3/info');
console.log(JSON.stringify({ exports: Object.keys(sdk).sort(), name: data.name, resolved: import.meta.resolve('@cf-k8s-api/sdk') }));`,
    );
    const { stdout } = await run(process.execPath, ['smoke.mjs'], { cwd: project, env: { ...process.env, CF_API: server.url } });
    const seen = JSON.parse(stdout) as { exports: string[]; name: string; resolved: string };
    expect(seen.exports).to.include.members(['createCfClient', 'CfApiError', 'credentialsFromKubeconfig', 'labelSelector']);
    expect(seen.name).to.equal(server.config.info.name);
    expect(seen.resolved).to.equal(`file://${project}/node_modules/@cf-k8s-api/sdk/dist/index.js`);
  });

  it("typechecks the README's examples and refuses wrong uses of the API, against the installed types", async () => {
    await writeFile(join(project, 'wrong-usage.ts'), wrongUsage);
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'es2022',
          lib: ['es2024'],
          module: 'nodenext',
          moduleResolution: 'nodenext',
          types: ['node'],
          typeRoots: [join(repositoryRoot, 'node_modules/@types')],
          strict: true,
          noEmit: true,
          allowImportingTsExtensions: true,
          skipLibCheck: true,
        },
        include: ['*.ts'],
      }),
    );
    const tsc = join(repositoryRoot, 'node_modules/.bin/tsc');
    const output = await run(tsc, ['-p', 'tsconfig.json', '--pretty', 'false'], { cwd: project }).then(
      (result) => result.stdout,
      (error: { stdout: string }) => error.stdout,
    );
    const errors = output.split('\n').filter((line) => /^\S+\.ts\(\d+,\d+\): error /.test(line));
    expect(errors.filter((line) => /^(root-)?readme-/.test(line))).to.deep.equal([]);
    const wrong = errors.flatMap((line) => {
      const match = /^wrong-usage\.ts\((\d+),\d+\): error (TS\d+):/.exec(line);
      return match ? [`${match[1]} ${match[2]}`] : [];
    });
    const marked = wrongUsage.split('\n').flatMap((line, index) => {
      const code = /\/\/ must not compile: (TS\d+)$/.exec(line)?.[1];
      return code ? [`${index + 1} ${code}`] : [];
    });
    expect(marked).to.have.length(11);
    expect([...new Set(wrong)]).to.deep.equal(marked);
    expect(blocks.length).to.be.at.least(3);
  });

  it("runs the README's examples against a server", async () => {
    const env = { ...process.env, CF_API: server.url, KUBECONFIG: server.kubeconfigPath, CF_TOKEN: server.admin.token };
    const outputs: string[] = [];
    for (const index of blocks.keys()) {
      const { stdout } = await run(process.execPath, [`readme-${index + 1}.ts`], { cwd: project, env });
      outputs.push(stdout);
    }
    expect(outputs[0]).to.match(
      /^package [-0-9a-f]{36}: (PROCESSING_UPLOAD|READY)\nhello STOPPED\napp\.delete: COMPLETE\ngone: CF-ResourceNotFound \(10010\) App not found\. Ensure it exists and you have access to it\.\n$/,
    );
    expect(outputs[1]).to.equal('admin\nadmin\nadmin\n');
    expect(outputs[2]).to.equal('[]\ndev\n422 10008 CF-UnprocessableEntity per_page must be greater than or equal to 1\n[]\n');
  });

  it("runs the ts blocks of the repository's README (its SDK section) against a server", async () => {
    expect(rootBlocks, 'README.md shows no SDK example in a ts block').to.not.be.empty;
    // A server of their own: they may use the names the SDK README's examples use.
    const fresh = await startTestServer();
    try {
      for (const index of rootBlocks.keys()) {
        const freshEnv = { ...process.env, CF_API: fresh.url, KUBECONFIG: fresh.kubeconfigPath, CF_TOKEN: fresh.admin.token };
        await run(process.execPath, [`root-readme-${index + 1}.ts`], { cwd: project, env: freshEnv });
      }
    } finally {
      await fresh.stop();
    }
  });
});
