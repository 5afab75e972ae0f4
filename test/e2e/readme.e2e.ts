import { expect } from 'chai';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, symlink } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { projectRoot } from '../support/server-process.ts';
import { linesOf, locateCfCli, tableColumn } from './support/cf-cli.ts';
import { stopGroup } from './support/api-server.ts';

const run = promisify(execFile);

/** The fenced `sh` blocks of a README section (from its heading to the next heading of any level). */
function shellBlocks(readme: string, heading: string): string[] {
  const start = readme.indexOf(`${heading}\n`);
  if (start === -1) throw new Error(`README has no section "${heading}"`);
  const rest = readme.slice(start + heading.length);
  const section = rest.slice(0, rest.search(/\n#{2,3} /) === -1 ? undefined : rest.search(/\n#{2,3} /));
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

/** A command line without its trailing `# comment`. */
const command = (line: string) => line.replace(/\s+#.*$/, '').trim();

async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer().once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/**
 * The README's quick start, "Using the cf CLI" and "Your first app" commands, run verbatim by bash as a person would type
 * them: in a copy of the project (so `data/` is fresh), with `cf` on PATH and a fresh HOME (the CLI's
 * config). `npm ci` and `npm test` are what this test run itself is, so of the quick start only
 * `npm start` runs (in the background, like the second terminal the README implies).
 */
describe('the README, run verbatim with the real cf CLI', function () {
  this.timeout(5 * 60_000);
  let checkout: string;
  let home: string;
  let server: ChildProcess | undefined;
  let serverOutput = '';
  let readme: string;

  before(async () => {
    readme = await readFile(join(projectRoot, 'README.md'), 'utf8');
    for (const port of [8080, 8081]) {
      if (!(await portIsFree(port)))
        throw new Error(`The README test runs the quick start as written, on ports 8080 and 8081; ${port} is in use`);
    }
    checkout = await copyOfProject();
    home = await mkdtemp(join(tmpdir(), 'cf-readme-home-'));
    const bin = join(home, 'bin');
    await mkdir(bin);
    await symlink(locateCfCli(), join(bin, 'cf'));
  });
  after(() => server && stopGroup(server));

  /** Runs README lines with bash in the copy; every line must succeed (`set -e`). */
  async function bash(lines: string[]): Promise<string> {
    const script = ['set -euo pipefail', ...lines].join('\n');
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([key]) => !key.startsWith('CF_') && !key.startsWith('CFAPI_') && key !== 'KUBECONFIG'),
    );
    const env = { ...inherited, HOME: home, PATH: `${join(home, 'bin')}:${process.env['PATH'] ?? ''}` };
    try {
      const { stdout, stderr } = await run('bash', ['-c', script], { cwd: checkout, env, timeout: 4 * 60_000 });
      return `${stdout}${stderr}`;
    } catch (error) {
      const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string };
      throw new Error(`README commands failed:\n${script}\n--- output ---\n${stdout}${stderr}`, { cause: error });
    }
  }

  it('quick start: npm start serves the embedded backend on http://127.0.0.1:8080', async () => {
    const [quickStart] = shellBlocks(readme, '## Quick start');
    const lines = linesOf(quickStart!).map(command);
    expect(lines).to.deep.equal(['npm ci', 'npm start', 'npm test']);
    server = spawn('bash', ['-c', 'npm start'], {
      cwd: checkout,
      env: Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('CFAPI_'))),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    server.stdout?.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    server.stderr?.on('data', (chunk: Buffer) => (serverOutput += chunk.toString()));
    for (let waited = 0; !serverOutput.includes('listening on'); waited += 100) {
      if (server.exitCode !== null || waited > 60_000) throw new Error(`npm start did not start:\n${serverOutput}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(serverOutput).to.contain('listening on http://127.0.0.1:8080');
    expect(serverOutput).to.contain(`kubeconfig is ${join(checkout, 'data', 'kubeconfig')}`);
  });

  it('using the cf CLI: api, auth admin, create-org, create-space, target', async () => {
    const [session] = shellBlocks(readme, '### Using the cf CLI');
    const output = await bash(linesOf(session!).map(command));
    expect(linesOf(output)).to.include.members([
      'Creating org my-org as admin...',
      'Creating space dev in org my-org as admin...',
      'user:           admin',
      'org:            my-org',
      'space:          dev',
    ]);
  });

  it('adding a user: user:add, set-space-role, set-org-role, auth as them, unset-space-role', async () => {
    const [session, users] = shellBlocks(readme, '### Using the cf CLI');
    const [exportLine] = linesOf(session!);
    const lines = linesOf(users!).map(command);
    // The auth line shows what alice sees; run it on its own to read its output.
    const authIndex = lines.findIndex((line) => line.startsWith('cf auth alice'));
    const before = await bash([exportLine!, ...lines.slice(0, authIndex)]);
    expect(before).to.contain('Added user alice');
    const asAlice = await bash([exportLine!, lines[authIndex]!]);
    expect(tableColumn(asAlice.slice(asAlice.indexOf('Getting orgs')), 'name')[0]).to.equal('my-org');
    expect(asAlice).to.contain('Getting spaces in org my-org as alice...');
    expect(tableColumn(asAlice.slice(asAlice.indexOf('Getting spaces')), 'name')).to.deep.equal(['dev']);
    await bash([exportLine!, ...lines.slice(authIndex + 1)]);
    const spaceUsers = await bash([exportLine!, 'cf space-users my-org dev']);
    expect(spaceUsers).not.to.contain('alice');
  });

  it('your first app: cf push of the Node.js sample from its directory, then curl of its route through the router', async () => {
    const [session] = shellBlocks(readme, '### Using the cf CLI');
    const [exportLine] = linesOf(session!);
    const [firstApp] = shellBlocks(readme, '### Your first app');
    const lines = linesOf(firstApp!).map(command);
    expect(lines.at(-1)).to.match(/^curl http:\/\/hello\.apps\.localhost:8081\/$/);
    const output = await bash([exportLine!, ...lines]);
    expect(linesOf(output)).to.include.members(['requested state:   started', 'routes:            hello.apps.localhost']);
    // curl's body (its progress meter goes to stderr, which the test collects too).
    expect(
      linesOf(output).some((line) => /^Hello from node-app instance 0 \(node v24\./.test(line)),
      output,
    ).to.equal(true);
  });
});

/** The project's files (tracked and new, not ignored) in a temporary directory, sharing node_modules. */
async function copyOfProject(): Promise<string> {
  const target = join(await mkdtemp(join(tmpdir(), 'cf-readme-')), 'project');
  const { stdout } = await run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {
    cwd: projectRoot,
    maxBuffer: 64 * 1024 * 1024,
  });
  for (const file of stdout.split('\0').filter(Boolean)) {
    await mkdir(dirname(join(target, file)), { recursive: true });
    await cp(join(projectRoot, file), join(target, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error; // deleted in the work tree, not yet in git
    });
  }
  await symlink(join(projectRoot, 'node_modules'), join(target, 'node_modules'));
  return target;
}
