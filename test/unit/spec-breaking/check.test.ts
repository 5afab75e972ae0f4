import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

// `npm run spec:breaking` (scripts/spec-breaking/check.sh) on throwaway git repositories holding a copy of
// the bundled document. oasdiff comes from its cache (OASDIFF_BUILD=never): these tests never build it.

const repoRoot = new URL('../../../', import.meta.url).pathname;
const checkScript = join(repoRoot, 'scripts/spec-breaking/check.sh');
const buildScript = join(repoRoot, 'scripts/spec-breaking/build-oasdiff.sh');

type Run = { code: number; output: string };

function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { ...options, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(new Error(`${command} did not run: ${error.message}`));
      resolve({ code: error ? Number(error.code) : 0, output: `${stdout}${stderr}` });
    });
  });
}

/** The check's environment: the project's node first on PATH, oasdiff only from the cache. */
const env = (repo: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  ...process.env,
  PATH: `${dirname(process.execPath)}:${process.env['PATH'] ?? ''}`,
  SPEC_BREAKING_REPO: repo,
  OASDIFF_BUILD: 'never',
  SPEC_BREAKING_BASE: '',
  ...extra,
});

type Document = { components: { schemas: Record<string, { properties: Record<string, unknown>; required?: string[] }> } };

class Repo {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  static async create(): Promise<Repo> {
    const repo = new Repo(await mkdtemp(join(tmpdir(), 'spec-breaking-')));
    await mkdir(join(repo.dir, 'generated'));
    await mkdir(join(repo.dir, 'openapi'));
    await cp(join(repoRoot, 'generated/openapi.json'), join(repo.dir, 'generated/openapi.json'));
    await repo.git('init', '-q', '-b', 'main');
    await repo.commit('the released spec');
    return repo;
  }

  async git(...args: string[]): Promise<string> {
    const result = await run('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.test', '-c', 'commit.gpgsign=false', ...args], {
      cwd: this.dir,
    });
    if (result.code !== 0) throw new Error(`git ${args.join(' ')}: ${result.output}`);
    return result.output.trim();
  }

  async commit(message: string): Promise<void> {
    await this.git('add', '-A');
    await this.git('commit', '-q', '--allow-empty', '-m', message);
  }

  async editSpec(edit: (document: Document) => void): Promise<void> {
    const file = join(this.dir, 'generated/openapi.json');
    const document = JSON.parse(await readFile(file, 'utf8')) as Document;
    edit(document);
    await writeFile(file, JSON.stringify(document, null, 2));
  }

  async allow(yaml: string): Promise<void> {
    await writeFile(join(this.dir, 'openapi/breaking-changes-allowed.yaml'), yaml);
  }

  check(extra: NodeJS.ProcessEnv = {}): Promise<Run> {
    return run('bash', [checkScript], { env: env(this.dir, extra) });
  }
}

const addRequiredAppField = (document: Document) => {
  const schema = document.components.schemas['AppCreate']!;
  schema.properties['ticket'] = { type: 'string' };
  schema.required = [...(schema.required ?? []), 'ticket'];
};

const removeWhoAmIKind = (document: Document) => {
  const schema = document.components.schemas['WhoAmI']!;
  delete schema.properties['kind'];
  schema.required = (schema.required ?? []).filter((name) => name !== 'kind');
};

describe('npm run spec:breaking (oasdiff against the base spec, with reviewed allowances)', function () {
  this.timeout(60_000);
  const repos: Repo[] = [];
  const newRepo = async () => {
    const repo = await Repo.create();
    repos.push(repo);
    return repo;
  };

  before(async function () {
    const built = await run('bash', [buildScript], { env: { ...process.env, OASDIFF_BUILD: 'never' } });
    if (built.code !== 0) throw new Error(`These tests need the cached oasdiff binary. ${built.output}`);
  });
  after(() => Promise.all(repos.map((repo) => rm(repo.dir, { recursive: true, force: true }))));

  it('fails on a branch that adds a required request property, naming the change and the allowance it would need', async () => {
    const repo = await newRepo();
    await repo.git('checkout', '-q', '-b', 'feature');
    await repo.editSpec(addRequiredAppField);
    await repo.commit('a required ticket on app create');
    const result = await repo.check();
    expect(result.code, result.output).to.equal(1);
    expect(result.output).to.contain('against the merge base with main');
    expect(result.output).to.contain('[new-required-request-property] POST /v3/apps: added the new required request property `ticket`');
    expect(result.output).to.contain('id: new-required-request-property').and.to.contain('operation: POST /v3/apps');
  });

  it('passes the same change once it is allowed with a reason and a reviewer', async () => {
    const repo = await newRepo();
    await repo.git('checkout', '-q', '-b', 'feature');
    await repo.editSpec(addRequiredAppField);
    await repo.allow(
      'allowed:\n  - id: new-required-request-property\n    operation: POST /v3/apps\n    text: ticket\n    reason: every client sends a ticket already\n    reviewer: jane\n',
    );
    await repo.commit('a required ticket, allowed');
    const result = await repo.check();
    expect(result.code, result.output).to.equal(0);
    expect(result.output).to.contain('allowed: every client sends a ticket already (jane)');
  });

  it('fails on a removed response property in the working tree (uncommitted), and an allowance for another text does not cover it', async () => {
    const repo = await newRepo();
    await repo.git('checkout', '-q', '-b', 'feature');
    await repo.commit('the branch starts');
    await repo.editSpec(removeWhoAmIKind);
    await repo.allow(
      'allowed:\n  - id: response-required-property-removed\n    operation: GET /whoami\n    text: name\n    reason: r\n    reviewer: jane\n',
    );
    const result = await repo.check();
    expect(result.code, result.output).to.equal(1);
    expect(result.output).to.contain('[response-required-property-removed] GET /whoami: removed the required property `kind`');
    expect(result.output).to.contain('unused allowance (matches no change now): [response-required-property-removed] GET /whoami');
    await repo.allow(
      'allowed:\n  - id: response-required-property-removed\n    operation: GET /whoami\n    reason: kind is gone\n    reviewer: jane\n',
    );
    expect((await repo.check()).code).to.equal(0);
  });

  it('refuses an allowance without a reviewer', async () => {
    const repo = await newRepo();
    await repo.git('checkout', '-q', '-b', 'feature');
    await repo.editSpec(addRequiredAppField);
    await repo.allow('allowed:\n  - id: new-required-request-property\n    operation: POST /v3/apps\n    reason: fine\n');
    await repo.commit('an allowance without a reviewer');
    const result = await repo.check();
    expect(result.code).to.equal(2);
    expect(result.output).to.contain('allowed[0] needs a non-empty reviewer');
  });

  it('on main compares with HEAD~1, and fails loudly on main’s first commit', async () => {
    const repo = await newRepo();
    const first = await repo.check();
    expect(first.code).to.equal(2);
    expect(first.output).to.contain("HEAD is main's first commit");
    await repo.editSpec(removeWhoAmIKind);
    await repo.commit('kind removed on main');
    const second = await repo.check();
    expect(second.code, second.output).to.equal(1);
    expect(second.output).to.contain('against HEAD~1 (HEAD is main, with no release tag)');
  });

  it('compares with the last release tag when there is one, so every break since the release counts', async () => {
    const repo = await newRepo();
    await repo.git('tag', 'v1.0.0');
    await repo.editSpec(removeWhoAmIKind);
    await repo.commit('kind removed');
    await repo.commit('a later commit that changes nothing');
    const result = await repo.check();
    expect(result.code, result.output).to.equal(1);
    expect(result.output).to.contain('against the last release tag: v1.0.0');
    expect(result.output).to.contain('GET /whoami');
  });

  it('fails loudly in a shallow clone rather than comparing with nothing', async () => {
    const origin = await newRepo();
    await origin.commit('a second commit');
    const clone = new Repo(await mkdtemp(join(tmpdir(), 'spec-breaking-clone-')));
    repos.push(clone);
    await run('git', ['clone', '-q', '--depth', '1', `file://${origin.dir}`, clone.dir]);
    const result = await clone.check();
    expect(result.code).to.equal(2);
    expect(result.output).to.contain('shallow clone');
  });
});
