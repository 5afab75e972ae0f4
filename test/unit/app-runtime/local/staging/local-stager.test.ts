import { expect } from 'chai';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StagingFailed, type StagedDroplet } from '../../../../../src/app-runtime/app-runtime.ts';
import { detectBuildpack } from '../../../../../src/app-runtime/local/staging/buildpacks.ts';
import { compileFailed } from '../../../../../src/app-runtime/local/staging/build-steps.ts';
import {
  dockerRefused,
  hostToolEnvironment,
  LocalStager,
  noAppDetected,
} from '../../../../../src/app-runtime/local/staging/local-stager.ts';
import {
  fetchWhenUp,
  fixturesDir,
  freePort,
  isAlive,
  killGroup,
  logCollector,
  startCommand,
  stagingRequest,
  zipDirectory,
  type RawEntry,
} from './staging-fixtures.ts';

/** Go's build cache survives the test runs (a cold one costs a minute or more on a busy machine). */
const sharedGoCache = join(tmpdir(), 'cfapi-local-staging-test-go-cache');
/** The environment droplet commands start with: no Node of the host's PATH, to show the droplet's profile brings the project's. */
const bareEnv = { PATH: '/usr/bin:/bin' };

describe('local stager', function () {
  this.timeout(60_000);
  let root: string;
  let stager: LocalStager;
  const started: ChildProcess[] = [];

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'local-stager-'));
    stager = new LocalStager({ root });
  });

  afterEach(async () => {
    for (const child of started.splice(0)) killGroup(child);
    await rm(root, { recursive: true, force: true });
  });

  async function stageFixture(app: string, overrides: Parameters<typeof stagingRequest>[1] = {}) {
    const logs = logCollector();
    const droplet = await stager.stage(
      stagingRequest(await zipDirectory(join(fixturesDir, app)), overrides),
      new AbortController().signal,
      logs.log,
    );
    return { droplet, logs };
  }

  /** The app dir of the unpacked droplet. */
  async function unpacked(droplet: StagedDroplet): Promise<string> {
    const dir = join(root, 'unpacked', droplet.image.replace(/\W/g, '-'));
    await mkdir(dir, { recursive: true });
    await stager.unpackDroplet(droplet.image, dir);
    expect(await readdir(dir)).to.deep.equal(['app']);
    return join(dir, 'app');
  }

  async function run(dir: string, command: string, env: Record<string, string> = {}) {
    const port = await freePort();
    const child = startCommand(dir, command, { ...bareEnv, PORT: String(port), ...env });
    started.push(child);
    return { url: `http://127.0.0.1:${port}`, child };
  }

  async function stagingFails(zip: Buffer, overrides: Parameters<typeof stagingRequest>[1] = {}) {
    const logs = logCollector();
    const error: unknown = await stager.stage(stagingRequest(zip, overrides), new AbortController().signal, logs.log).then(
      () => expect.fail('the staging succeeded'),
      (rejection: unknown) => rejection,
    );
    expect(error).to.be.instanceOf(StagingFailed);
    expect(await readdir(join(root, 'staging')).catch(() => [])).to.deep.equal([]);
    expect(existsSync(join(root, 'droplets', 'build-1.tgz'))).to.equal(false);
    return { message: (error as StagingFailed).message, logs };
  }

  const modeOf = async (path: string) => (await lstat(path)).mode & 0o777;

  describe('the sample apps', () => {
    it('stages the node app with npm, and its web command runs it with the project Node', async () => {
      const { droplet, logs } = await stageFixture('node-app', { environment: { GREETING: 'staged' } });
      expect(droplet).to.deep.equal({
        processTypes: { web: 'npm start' },
        ports: [8080],
        stack: 'cflinuxfs4',
        buildpack: 'nodejs_buildpack',
        image: 'local-droplet:build-1',
      });
      expect(logs.text()).to.include('-----> Nodejs Buildpack version 1.0.0').and.include('-----> Installing dependencies');
      expect(logs.text()).to.match(/\$ npm install --omit=dev/);
      expect(await readdir(join(root, 'staging'))).to.deep.equal([]);

      const dir = await unpacked(droplet);
      expect(await readdir(dir)).to.include.members(['package.json', 'server.js', '.profile.d']);
      const { url } = await run(dir, droplet.processTypes.web!, { CF_INSTANCE_INDEX: '3', GREETING: 'Howdy' });
      const response = await fetchWhenUp(`${url}/`);
      expect(await response.text()).to.equal(`Hello from node-app instance 3 (node ${process.version}) Howdy\n`);
      const env = await fetch(`${url}/env`);
      expect(await env.json()).to.deep.equal({ VCAP_APPLICATION: null, VCAP_SERVICES: null });
    });

    it('stages the static site and serves it with the static file server', async () => {
      const { droplet, logs } = await stageFixture('static-site');
      expect(droplet.buildpack).to.equal('staticfile_buildpack');
      expect(droplet.processTypes).to.deep.equal({ web: 'node .local-buildpacks/static-file-server.mjs' });
      expect(logs.text()).to.include('-----> Staticfile Buildpack version 1.0.0');

      const dir = await unpacked(droplet);
      const { url, child } = await run(dir, droplet.processTypes.web!);
      const index = await fetchWhenUp(`${url}/`);
      expect(index.status).to.equal(200);
      expect(index.headers.get('content-type')).to.equal('text/html; charset=utf-8');
      expect(await index.text()).to.include('<h1>Hello from static-site</h1>');
      const css = await fetch(`${url}/style.css`);
      expect(css.headers.get('content-type')).to.equal('text/css; charset=utf-8');
      expect(await css.text()).to.equal(await readFile(join(fixturesDir, 'static-site', 'style.css'), 'utf8'));
      expect((await fetch(`${url}/missing.html`)).status).to.equal(404);
      expect((await fetch(`${url}/.local-buildpacks/static-file-server.mjs`)).status).to.equal(404);
      expect((await fetch(`${url}/%2e%2e/%2e%2e/etc/passwd`)).status).to.equal(404);
      expect((await fetch(`${url}/`, { method: 'POST' })).status).to.equal(405);
      expect(child.output()).to.match(/Static file server serving .* on port \d+/);
    });

    it('serves the root a Staticfile names', async () => {
      const zip = await zipDirectory(undefined, [
        { name: 'Staticfile', content: 'root: public\n' },
        { name: 'public/index.html', content: '<p>public</p>\n' },
        { name: 'public/docs/index.html', content: '<p>docs</p>\n' },
        { name: 'secret.txt', content: 'not served\n' },
      ]);
      const droplet = await stager.stage(stagingRequest(zip), new AbortController().signal, () => {});
      expect(droplet.processTypes).to.deep.equal({ web: 'node .local-buildpacks/static-file-server.mjs public' });
      const { url } = await run(await unpacked(droplet), droplet.processTypes.web!);
      expect(await (await fetchWhenUp(`${url}/`)).text()).to.equal('<p>public</p>\n');
      expect((await fetch(`${url}/secret.txt`)).status).to.equal(404);
      const directory = await fetch(`${url}/docs?page=2`, { redirect: 'manual' });
      expect([directory.status, directory.headers.get('location')]).to.deep.equal([301, '/docs/?page=2']);
      expect(await (await fetch(`${url}/docs/`)).text()).to.equal('<p>docs</p>\n');
      const head = await fetch(`${url}/docs/index.html`, { method: 'HEAD' });
      expect([head.status, head.headers.get('content-length'), await head.text()]).to.deep.equal([200, '12', '']);
    });

    it('stages the python app in a virtual environment that its web command uses', async () => {
      const { droplet, logs } = await stageFixture('python-app');
      expect(droplet.buildpack).to.equal('python_buildpack');
      expect(droplet.processTypes).to.deep.equal({ web: 'python app.py' });
      expect(logs.text()).to.include('-----> Python Buildpack version 1.0.0').and.include('-----> Creating the virtual environment .venv');

      const dir = await unpacked(droplet);
      expect(existsSync(join(dir, '.venv', 'bin', 'python'))).to.equal(true);
      // The host has no `python` on the bare PATH: the venv's comes from the droplet's profile.
      const { url } = await run(dir, droplet.processTypes.web!, { CF_INSTANCE_INDEX: '1' });
      expect(await (await fetchWhenUp(`${url}/`)).text()).to.equal('Hello from python-app instance 1\n');
    });

    it('stages the procfile app with the binary buildpack, keeping every process type and file mode', async () => {
      const { droplet } = await stageFixture('procfile-app', { buildpacks: ['binary_buildpack'] });
      expect(droplet.buildpack).to.equal('binary_buildpack');
      expect(droplet.processTypes).to.deep.equal({ web: './start.sh', worker: "sh -c 'echo worker running; sleep 3600'" });
      const dir = await unpacked(droplet);
      expect(await modeOf(join(dir, 'start.sh'))).to.equal(0o755);
      expect(await modeOf(join(dir, 'Procfile'))).to.equal(0o644);
      const { url } = await run(dir, droplet.processTypes.web!, { PATH: `${join(process.execPath, '..')}:/usr/bin:/bin` });
      expect(await (await fetchWhenUp(`${url}/`)).text()).to.equal('Hello from procfile-app instance ?\n');
    });

    it('builds the go app into bin/ and runs the binary', async function () {
      this.timeout(300_000); // a cold Go build cache on a busy machine
      await mkdir(sharedGoCache, { recursive: true });
      await mkdir(join(root, 'cache'), { recursive: true });
      await symlink(sharedGoCache, join(root, 'cache', 'go-build'));
      const { droplet, logs } = await stageFixture('go-app');
      expect(droplet.buildpack).to.equal('go_buildpack');
      expect(droplet.processTypes).to.deep.equal({ web: './bin/go-app' });
      expect(logs.text()).to.include('-----> Building bin/go-app');
      const dir = await unpacked(droplet);
      expect(await modeOf(join(dir, 'bin', 'go-app'))).to.equal(0o755);
      const { url } = await run(dir, droplet.processTypes.web!, { CF_INSTANCE_INDEX: '2' });
      expect(await (await fetchWhenUp(`${url}/`)).text()).to.equal('Hello from go-app instance 2\n');
    });
  });

  describe('choosing the buildpack', () => {
    const cases: [string[], string | undefined][] = [
      [['Staticfile', 'package.json'], 'staticfile_buildpack'],
      [['index.html', 'package.json', 'go.mod'], 'staticfile_buildpack'],
      [['package.json', 'go.mod', 'requirements.txt'], 'nodejs_buildpack'],
      [['go.mod', 'requirements.txt'], 'go_buildpack'],
      [['requirements.txt'], 'python_buildpack'],
      [['pyproject.toml'], 'python_buildpack'],
      [['setup.py'], 'python_buildpack'],
      [['README.md', 'public/index.html', 'main.go'], undefined],
    ];
    for (const [files, expected] of cases) {
      it(`detects ${expected ?? 'nothing'} in an app of ${files.join(', ')} (CF's order)`, async () => {
        for (const file of files) {
          await mkdir(join(root, 'app', file, '..'), { recursive: true });
          await writeFile(join(root, 'app', file), '{}\n');
        }
        expect((await detectBuildpack(join(root, 'app')))?.name).to.equal(expected);
      });
    }

    it('uses a named buildpack without detecting (short names too), and reports its CF name', async () => {
      const zip = await zipDirectory(undefined, [
        { name: 'index.html', content: '<p>hi</p>\n' },
        { name: 'go.mod', content: 'module x\n' },
      ]);
      const binary = await stager.stage(stagingRequest(zip, { buildpacks: ['binary'] }), new AbortController().signal, () => {});
      expect(binary).to.deep.include({ buildpack: 'binary_buildpack', processTypes: {} });
      const staticfile = await stager.stage(
        stagingRequest(zip, { buildGuid: 'build-2', buildpacks: ['staticfile'] }),
        new AbortController().signal,
        () => {},
      );
      expect(staticfile.buildpack).to.equal('staticfile_buildpack');
    });

    it("takes the URL of CF's own buildpack repository as ours, and refuses other URLs", async () => {
      const zip = await zipDirectory(join(fixturesDir, 'procfile-app'));
      const droplet = await stager.stage(
        stagingRequest(zip, { buildGuid: 'build-2', buildpacks: ['https://github.com/cloudfoundry/binary-buildpack.git'] }),
        new AbortController().signal,
        () => {},
      );
      expect(droplet.buildpack).to.equal('binary_buildpack');
      const { message } = await stagingFails(zip, { buildpacks: ['https://github.com/example/ruby-buildpack'] });
      expect(message).to.equal(
        'Buildpack "https://github.com/example/ruby-buildpack" cannot be fetched: the local runtime stages with its own buildpacks only ' +
          '(staticfile_buildpack, nodejs_buildpack, go_buildpack, python_buildpack, binary_buildpack).',
      );
    });

    it("refuses a buildpack it does not have with CF's text", async () => {
      const { message } = await stagingFails(await zipDirectory(join(fixturesDir, 'node-app')), { buildpacks: ['ruby_buildpack'] });
      expect(message).to.equal('Buildpack "ruby_buildpack" must be an existing admin buildpack or a valid git URI');
    });

    it("fails with CF's NoAppDetectedError when no buildpack detects the app", async () => {
      const { message, logs } = await stagingFails(await zipDirectory(undefined, [{ name: 'README.md', content: '# nothing\n' }]));
      expect(message).to.equal('NoAppDetectedError - An app was not successfully detected by any available buildpack');
      expect(message).to.equal(noAppDetected);
      expect(logs.lines.at(-1)).to.deep.equal({ text: `Staging failed: ${noAppDetected}`, stream: 'stderr' });
    });

    it('adds the default web command to the other process types of a Procfile', async () => {
      const zip = await zipDirectory(undefined, [
        { name: 'package.json', content: '{"name":"x","version":"1.0.0","scripts":{"start":"node index.js"}}' },
        { name: 'Procfile', content: '# processes\nworker: node worker.js\nclock:   node clock.js \n\nnot a process line\n' },
      ]);
      const droplet = await stager.stage(stagingRequest(zip), new AbortController().signal, () => {});
      expect(droplet.processTypes).to.deep.equal({ worker: 'node worker.js', clock: 'node clock.js', web: 'npm start' });
    });

    it('accepts cflinuxfs3 as the same stack and reports it; refuses other stacks', async () => {
      const zip = await zipDirectory(join(fixturesDir, 'procfile-app'));
      const droplet = await stager.stage(
        stagingRequest(zip, { buildGuid: 'build-2', stack: 'cflinuxfs3', buildpacks: ['binary'] }),
        new AbortController().signal,
        () => {},
      );
      expect(droplet.stack).to.equal('cflinuxfs3');
      const { message } = await stagingFails(zip, { stack: 'windows', buildpacks: ['binary'] });
      expect(message).to.include("The stack 'windows' is not available").and.include('cflinuxfs4');
    });

    it('describes its buildpacks in detection order and its stack', () => {
      expect(stager.builder.buildpacks).to.deep.equal(
        ['staticfile_buildpack', 'nodejs_buildpack', 'go_buildpack', 'python_buildpack', 'binary_buildpack'].map((name) => ({
          name,
          version: '1.0.0',
          stack: 'cflinuxfs4',
        })),
      );
      expect(stager.builder.stacks.map((stack) => stack.name)).to.deep.equal(['cflinuxfs4', 'cflinuxfs3']);
    });
  });

  describe('failed builds', () => {
    it('fails in the compile phase when npm fails, with its output logged on stdout and stderr', async () => {
      const zip = await zipDirectory(undefined, [
        {
          name: 'package.json',
          content: JSON.stringify({
            name: 'broken',
            version: '1.0.0',
            scripts: {
              start: 'node server.js',
              preinstall: 'echo compiling the assets for $GREETING$CFAPI_STAGING_TEST_SECRET; echo broken asset >&2; exit 3',
            },
          }),
        },
      ]);
      process.env.CFAPI_STAGING_TEST_SECRET = ' and a secret of the server';
      const { message, logs } = await stagingFails(zip, { environment: { GREETING: 'the tests' } }).finally(
        () => delete process.env.CFAPI_STAGING_TEST_SECRET,
      );
      expect(message).to.equal('BuildpackCompileFailed - App staging failed in the buildpack compile phase');
      expect(message).to.equal(compileFailed);
      expect(logs.lines).to.deep.include({ text: '       compiling the assets for the tests', stream: 'stdout' });
      expect(logs.lines).to.deep.include({ text: '       broken asset', stream: 'stderr' });
      expect(logs.lines.some((line) => line.stream === 'stderr' && /npm error/.test(line.text))).to.equal(true);
    });

    it('fails in the compile phase when pip cannot install a requirement, with pip output logged', async function () {
      this.timeout(120_000);
      const zip = await zipDirectory(undefined, [
        { name: 'requirements.txt', content: '# a local package that is not there\n./no-such-package\n' },
        { name: 'Procfile', content: 'web: python app.py\n' },
      ]);
      const { message, logs } = await stagingFails(zip);
      expect(message).to.equal(compileFailed);
      expect(logs.text()).to.include('-----> Installing requirements with pip');
      expect(logs.lines.some((line) => line.stream === 'stderr' && /no-such-package/.test(line.text))).to.equal(true);
    });

    it('fails in the compile phase when the Go code does not compile, with the compiler errors logged', async function () {
      this.timeout(300_000);
      await mkdir(sharedGoCache, { recursive: true });
      await mkdir(join(root, 'cache'), { recursive: true });
      await symlink(sharedGoCache, join(root, 'cache', 'go-build'));
      const zip = await zipDirectory(undefined, [
        { name: 'go.mod', content: 'module example.com/broken\n\ngo 1.22\n' },
        { name: 'main.go', content: 'package main\n\nfunc main() {\n\tundefinedFunction()\n}\n' },
      ]);
      const { message, logs } = await stagingFails(zip);
      expect(message).to.equal(compileFailed);
      expect(logs.lines.some((line) => line.stream === 'stderr' && /main\.go:4:.*undefined: undefinedFunction/.test(line.text))).to.equal(
        true,
      );
    });

    it("gives builds the host's tool settings but not the rest of the server's environment", () => {
      const kept = hostToolEnvironment({
        PATH: '/usr/bin',
        HOME: '/root',
        https_proxy: 'http://proxy:3128',
        NO_PROXY: 'localhost',
        SSL_CERT_FILE: '/etc/ssl/cert.pem',
        NODE_EXTRA_CA_CERTS: '/etc/ssl/extra.pem',
        PIP_INDEX_URL: 'https://pypi.example/simple',
        GOPROXY: 'https://proxy.golang.org',
        PYENV_ROOT: '/root/.pyenv',
        GOOGLE_APPLICATION_CREDENTIALS: '/secret.json',
        GOCACHE: '/server/cache',
        NODE_OPTIONS: '--inspect',
        npm_config_prefix: '/server',
        CFAPI_ADMIN_PASSWORD: 'secret',
      });
      expect(Object.keys(kept).sort()).to.deep.equal(
        [
          'GOPROXY',
          'HOME',
          'NODE_EXTRA_CA_CERTS',
          'NO_PROXY',
          'PATH',
          'PIP_INDEX_URL',
          'PYENV_ROOT',
          'SSL_CERT_FILE',
          'https_proxy',
        ].sort(),
      );
    });

    it('names the tool it cannot find', async () => {
      stager = new LocalStager({ root, toolchains: { go: join(root, 'no-go', 'go') } });
      const { message } = await stagingFails(await zipDirectory(join(fixturesDir, 'go-app')));
      expect(message)
        .to.include('go_buildpack needs the Go toolchain (go)')
        .and.include(join(root, 'no-go', 'go'));
    });

    it('fails a node app without a start command, and a python app without a web process, with what to add', async () => {
      const node = await stagingFails(await zipDirectory(undefined, [{ name: 'package.json', content: '{"name":"x"}' }]));
      expect(node.message).to.include('no start command').and.include('Procfile');
      const python = await stagingFails(await zipDirectory(undefined, [{ name: 'requirements.txt', content: '' }]));
      expect(python.message).to.include('python_buildpack needs a Procfile with a web process');
    });
  });

  describe('aborting', () => {
    it('kills the running build step, rejects with an AbortError and leaves no build directory', async () => {
      const zip = await zipDirectory(undefined, [
        {
          name: 'package.json',
          content: JSON.stringify({ name: 'slow', version: '1.0.0', scripts: { start: 'x', preinstall: 'echo build pid $$; sleep 60' } }),
        },
      ]);
      const abort = new AbortController();
      const logs = logCollector();
      const staging = stager.stage(stagingRequest(zip), abort.signal, logs.log);
      let pid: number | undefined;
      for (let waited = 0; pid === undefined && waited < 30_000; waited += 50) {
        pid = Number(/build pid (\d+)/.exec(logs.text())?.[1]) || undefined;
        await new Promise((done) => setTimeout(done, 50));
      }
      expect(pid, 'the build step started').to.be.a('number');
      expect(isAlive(pid!)).to.equal(true);
      const before = Date.now();
      abort.abort();
      const error: unknown = await staging.then(
        () => expect.fail('the staging succeeded'),
        (rejection: unknown) => rejection,
      );
      expect(error).to.have.property('name', 'AbortError');
      expect(Date.now() - before).to.be.below(5_000);
      expect(isAlive(pid!)).to.equal(false);
      expect(await readdir(join(root, 'staging'))).to.deep.equal([]);
      expect(existsSync(join(root, 'droplets', 'build-1.tgz'))).to.equal(false);
    });

    it('rejects at once with an AbortError when aborted before it starts', async () => {
      const abort = new AbortController();
      abort.abort();
      const error: unknown = await stager
        .stage(stagingRequest(await zipDirectory(join(fixturesDir, 'static-site'))), abort.signal, () => {})
        .catch((rejection: unknown) => rejection);
      expect(error).to.have.property('name', 'AbortError');
    });
  });

  describe('packages it refuses', () => {
    it('refuses a docker package: the local runtime runs buildpack apps only', async () => {
      const error: unknown = await stager
        .stage(
          { ...stagingRequest(Buffer.alloc(0)), source: { type: 'docker', image: 'nginx:latest' } },
          new AbortController().signal,
          () => {},
        )
        .catch((rejection: unknown) => rejection);
      expect(error).to.be.instanceOf(StagingFailed);
      expect((error as Error).message).to.equal(dockerRefused);
      expect(dockerRefused).to.include('buildpack apps only').and.include('kubernetes backend with Korifi');
    });

    const escapes: [string, RawEntry[], RegExp][] = [
      ['a ".." entry', [{ name: '../evil.txt', content: 'x' }], /outside the app directory \(a "\.\." segment\)/],
      ['an absolute entry', [{ name: '/tmp/evil.txt', content: 'x' }], /outside the app directory \(an absolute path\)/],
      ['a link pointing outside', [{ name: 'link', content: '../../../etc', mode: 0o120777 }], /points outside the app directory/],
      ['an absolute link', [{ name: 'link', content: '/etc/passwd', mode: 0o120777 }], /points outside the app directory/],
      [
        'an entry below a link',
        [
          { name: 'sub', content: '.', mode: 0o120777 },
          { name: 'sub/evil.txt', content: 'x' },
        ],
        /lies below the symbolic link 'sub'/,
      ],
      [
        'a link through a link',
        [
          { name: 'd1/d2/up', content: '../..', mode: 0o120777 },
          { name: 'out', content: 'd1/d2/up/..', mode: 0o120777 },
        ],
        /passes through the link 'd1\/d2\/up'/,
      ],
    ];
    for (const [what, entries, expected] of escapes) {
      it(`refuses a package with ${what}, writing nothing outside`, async () => {
        const zip = await zipDirectory(join(fixturesDir, 'static-site'), entries);
        const { message } = await stagingFails(zip);
        expect(message)
          .to.match(/^The app package cannot be unpacked: /)
          .and.match(expected);
        expect(existsSync(join(root, 'evil.txt'))).to.equal(false);
        expect(existsSync(join(root, 'staging', 'evil.txt'))).to.equal(false);
      });
    }

    it('keeps links that stay inside the app', async () => {
      const zip = await zipDirectory(join(fixturesDir, 'static-site'), [
        { name: 'home.html', content: 'index.html', mode: 0o120777 },
        { name: 'assets/theme.css', content: '../style.css', mode: 0o120777 },
      ]);
      const droplet = await stager.stage(stagingRequest(zip), new AbortController().signal, () => {});
      const dir = await unpacked(droplet);
      expect(await readlink(join(dir, 'home.html'))).to.equal('index.html');
      expect(await readlink(join(dir, 'assets', 'theme.css'))).to.equal('../style.css');
    });
  });

  describe('droplets', () => {
    it('unpacks only its own droplets, and not once deleted', async () => {
      const { droplet } = await stageFixture('static-site');
      expect(existsSync(join(root, 'droplets', 'build-1.tgz'))).to.equal(true);
      const error = (image: string) =>
        stager.unpackDroplet(image, join(root, 'out')).then(
          () => undefined,
          (rejection: Error) => rejection.message,
        );
      expect(await error('docker.io/library/nginx')).to.include('is not a droplet of the local runtime');
      expect(await error('local-droplet:../../etc')).to.include('is not a droplet of the local runtime');
      expect(await error('local-droplet:other-build')).to.include('local-droplet:other-build is not on this machine');
      await stager.deleteDroplet(droplet.image);
      expect(existsSync(join(root, 'droplets', 'build-1.tgz'))).to.equal(false);
      expect(await error(droplet.image)).to.include('is not on this machine');
      await stager.deleteDroplet(droplet.image);
      await stager.deleteDroplet('docker.io/library/nginx');
    });

    it('removes the leftovers of a staging that a stopped server left behind', async () => {
      await mkdir(join(root, 'staging', 'old-build', 'app'), { recursive: true });
      await mkdir(join(root, 'droplets'), { recursive: true });
      await writeFile(join(root, 'droplets', '.old-build.1234.tmp'), 'half a droplet');
      await stageFixture('static-site');
      expect(await readdir(join(root, 'staging'))).to.deep.equal([]);
      expect(await readdir(join(root, 'droplets'))).to.deep.equal(['build-1.tgz']);
    });
  });
});
