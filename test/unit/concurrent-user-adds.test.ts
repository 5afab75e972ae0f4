import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { openLocalIdentity } from '../../src/auth/embedded/local-identity.ts';
import { UserStore } from '../../src/auth/embedded/user-store.ts';
import { projectRoot } from '../support/server-process.ts';

const run = promisify(execFile);

/**
 * Users added at the same time, in one process and from several (`npm run user:add` while another runs,
 * or beside the server): every one must end up in users.json and in the kubeconfig. Each write used to
 * read the file, add its user and rename a temporary file named after the process over it, so a
 * concurrent add failed (ENOENT on the shared temporary name) or lost the other's user.
 */
describe('adding embedded users concurrently', function () {
  this.timeout(60_000);
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'cf-users-'));
  });
  afterEach(() => rm(dataDir, { recursive: true, force: true }));

  const kubeconfigUsers = async () =>
    (parseYaml(await readFile(join(dataDir, 'kubeconfig'), 'utf8')) as { users: { name: string }[] }).users.map((user) => user.name).sort();

  it('keeps every user of many adds at once in one process, through two stores of the same file', async () => {
    const file = join(dataDir, 'auth', 'users.json');
    const [first, second] = [new UserStore(file), new UserStore(file)];
    const names = Array.from({ length: 20 }, (_, index) => `user-${index}`);
    const tokens = await Promise.all(names.map((name, index) => (index % 2 === 0 ? first : second).add(name)));
    const reader = new UserStore(file);
    expect(await reader.count()).to.equal(20);
    for (const [index, token] of tokens.entries()) expect((await reader.findByToken(token))?.name).to.equal(names[index]);
    await Promise.all([first.add('late-a'), second.add('late-b')]);
    expect(await new UserStore(file).count()).to.equal(22);
  });

  it('keeps every user added by several user:add processes at once, in users.json and the kubeconfig', async () => {
    const identity = await openLocalIdentity(dataDir);
    const names = ['alice', 'bob', 'carol', 'dave'];
    await Promise.all([
      ...names.map((name) =>
        run(process.execPath, ['src/cli/add-user.ts', name], { cwd: projectRoot, env: { ...process.env, CFAPI_DATA_DIR: dataDir } }),
      ),
      identity.addUser('erin'),
    ]);
    expect(await kubeconfigUsers()).to.deep.equal(['admin', 'alice', 'bob', 'carol', 'dave', 'erin']);
    expect(await new UserStore(join(dataDir, 'auth', 'users.json')).count()).to.equal(6);
  });
});
