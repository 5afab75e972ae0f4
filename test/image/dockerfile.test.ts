import { expect } from 'chai';
import {
  contextFiles,
  finalStage,
  imageEnv,
  inspectDockerfile,
  instructionsOf,
  npmStartCommand,
  packageJson,
  type Inspected,
} from './support.ts';

// What the Dockerfile promises, read through BuildKit's parser: the same command as `npm start`, the
// project's Node release, a numeric non-root user, the config from a mounted file, and a build context of
// only what the image copies.

describe('image: the Dockerfile', function () {
  this.timeout(30_000);
  let inspected: Inspected;

  before(async () => {
    inspected = await inspectDockerfile();
  });

  it("runs npm start's command, as an exec-form ENTRYPOINT, with the kubernetes backend as its default arguments", () => {
    const stage = finalStage(inspected);
    const [entrypoint, ...more] = instructionsOf(stage, 'ENTRYPOINT');
    expect(more, 'one ENTRYPOINT').to.deep.equal([]);
    expect(entrypoint?.shellForm, 'exec form: node is PID 1 and gets SIGTERM').to.equal(false);
    expect(entrypoint?.command).to.deep.equal(npmStartCommand());
    const [cmd] = instructionsOf(stage, 'CMD');
    expect(cmd?.shellForm).to.equal(false);
    expect(cmd?.command).to.deep.equal(['--backend', 'kubernetes']);
  });

  it("builds on Node's official slim image at the project's own Node release", () => {
    const nodeVersion = inspected.args.find((a) => a.name === 'NODE_VERSION')?.default;
    expect(nodeVersion).to.equal(packageJson().devDependencies['node']);
    for (const stage of inspected.stages.filter((s) => !inspected.stages.some((other) => other.name !== '' && other.name === s.base))) {
      expect(stage.baseExpanded).to.equal(`node:${nodeVersion}-trixie-slim`);
    }
    expect(inspected.stages).to.have.length(2);
  });

  it('runs as a numeric non-root user, after everything is copied as root', () => {
    const stage = finalStage(inspected);
    const users = instructionsOf(stage, 'USER');
    expect(users).to.have.length(1);
    expect(users[0]?.user).to.match(/^[1-9][0-9]*:[1-9][0-9]*$/);
    const userLine = users[0]!.line;
    for (const i of stage.instructions.filter((x) => ['COPY', 'ADD', 'RUN'].includes(x.instruction))) {
      expect(i.line, `${i.source} comes before USER`).to.be.below(userLine);
      expect(i.chown ?? '', `${i.source}: the app stays root's`).to.equal('');
    }
    // The only directory the user owns is the data directory.
    const [mkdir] = instructionsOf(stage, 'RUN');
    const dataDir = imageEnv(stage)['CFAPI_DATA_DIR'];
    expect(mkdir?.command?.join(' ')).to.equal(`mkdir -m 0700 ${dataDir} && chown ${users[0]!.user} ${dataDir}`);
  });

  it('reads its config from a mounted file and writes only to the data directory and TMPDIR', () => {
    const env = imageEnv(finalStage(inspected));
    expect(env).to.deep.equal({
      NODE_ENV: 'production',
      CFAPI_CONFIG: '/etc/cf-k8s-api/config.yaml',
      CFAPI_DATA_DIR: '/var/lib/cf-k8s-api',
      TMPDIR: '/tmp',
    });
  });

  it('exposes 8080 and labels the version of package.json', () => {
    const stage = finalStage(inspected);
    expect(instructionsOf(stage, 'EXPOSE').flatMap((i) => i.ports)).to.deep.equal(['8080']);
    const labels = Object.fromEntries(
      instructionsOf(stage, 'LABEL')
        .flatMap((i) => i.keyValues ?? [])
        .map((kv) => [kv.key, kv.value]),
    );
    expect(labels['org.opencontainers.image.version']).to.equal(packageJson().version);
  });

  it('installs production dependencies only, without install scripts', () => {
    const build = inspected.stages[0]!;
    const runs = instructionsOf(build, 'RUN').map((i) => i.command?.join(' '));
    expect(runs).to.deep.equal(['npm ci --omit=dev --ignore-scripts --no-audit --no-fund']);
  });

  it('gets a build context of only what it copies (.dockerignore)', async () => {
    const files = await contextFiles();
    const sources = inspected.stages.flatMap((s) => instructionsOf(s, 'COPY').filter((i) => !i.from)).flatMap((i) => i.sources ?? []);
    expect(sources).to.deep.equal(['package.json', 'package-lock.json', 'src', 'generated', 'deploy/helm/cf-k8s-api/files']);
    for (const file of files) {
      expect(
        sources.some((source) => file === source || file.startsWith(`${source}/`)),
        `${file} is sent to the build but never copied`,
      ).to.equal(true);
    }
    expect(files).to.include.members([
      'package.json',
      'package-lock.json',
      'src/start.js',
      'src/main.ts',
      'generated/openapi.json',
      'deploy/helm/cf-k8s-api/files/server-permissions.yaml',
    ]);
    // What generated/ holds for the build is what the server reads: the JSON, not the TypeScript types.
    expect(files.filter((f) => f.startsWith('generated/')).sort()).to.deep.equal([
      'generated/cf-roles.json',
      'generated/crd-schemas.json',
      'generated/openapi.json',
    ]);
  });
});
