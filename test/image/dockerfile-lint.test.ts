import { expect } from 'chai';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildScript, dockerfileLint, lintEnv, lintScript, repoRoot, run } from './support.ts';

// `npm run image:lint` (BuildKit's own Dockerfile checks, the rules of `docker build --check`, built into
// scripts/image/dockerfile-lint) on the repository's Dockerfile and on one written to break rules.

const badDockerfile = join(repoRoot, 'test/image/fixtures/bad/Dockerfile');

// One mistake each in the fixture; CopyIgnoredFile comes from its .dockerignore.
const expectedRules = [
  'ConsistentInstructionCasing',
  'CopyIgnoredFile',
  'DuplicateStageName',
  'FromAsCasing',
  'JSONArgsRecommended',
  'MaintainerDeprecated',
  'SecretsUsedInArgOrEnv',
  'UndefinedArgInFrom',
  'UndefinedVar',
  'WorkdirRelativePath',
];

type LintJson = {
  warnings: { ruleName: string; url: string; location: { ranges: { start: { line: number } }[] } }[];
  buildError?: unknown;
};

describe('image: the Dockerfile linter (npm run image:lint)', function () {
  this.timeout(60_000);

  it('finds nothing in the repository Dockerfile', async () => {
    const result = await run('bash', [lintScript], { cwd: repoRoot, env: lintEnv() });
    expect(result.stderr).to.equal('');
    expect(result.stdout).to.contain('Dockerfile: no findings');
    expect(result.code).to.equal(0);
  });

  it('reports every broken rule of a bad Dockerfile by name and exits non-zero', async () => {
    const result = await run('bash', [lintScript, badDockerfile], { cwd: repoRoot, env: lintEnv() });
    expect(result.code, result.stdout + result.stderr).to.equal(1);
    for (const rule of expectedRules) {
      expect(result.stdout, rule).to.contain(`WARNING: ${rule} - https://docs.docker.com/go/dockerfile/rule/`);
    }
    expect(result.stdout).to.contain(`${expectedRules.length} finding(s): ${expectedRules.join(', ')}`);
    // Each finding shows the offending line, as docker build --check does.
    expect(result.stdout).to.match(/>>> MAINTAINER someone@example\.org/);
  });

  it('gives BuildKit lint result as JSON, each finding on its line', async () => {
    const result = await run(await dockerfileLint(), ['lint', '--json', badDockerfile]);
    expect(result.code).to.equal(1);
    const parsed = JSON.parse(result.stdout) as LintJson;
    expect(parsed.buildError).to.equal(undefined);
    expect(parsed.warnings.map((w) => w.ruleName).sort()).to.deep.equal(expectedRules);
    const lineOf = (rule: string) => parsed.warnings.find((w) => w.ruleName === rule)?.location.ranges[0]?.start.line;
    expect(lineOf('FromAsCasing')).to.equal(3);
    expect(lineOf('MaintainerDeprecated')).to.equal(4);
    expect(lineOf('JSONArgsRecommended')).to.equal(11);
  });

  it('honours a check directive that skips a rule, as BuildKit does', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dockerfile-lint-'));
    try {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(join(dir, 'Dockerfile'), '# check=skip=JSONArgsRecommended\nFROM scratch\nCMD run\n');
      expect((await run(await dockerfileLint(), ['lint', join(dir, 'Dockerfile')])).code).to.equal(0);
      await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\nCMD run\n');
      const result = await run(await dockerfileLint(), ['lint', join(dir, 'Dockerfile')]);
      expect(result.code).to.equal(1);
      expect(result.stdout).to.contain('JSONArgsRecommended');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('fails loudly on a Dockerfile BuildKit cannot parse', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dockerfile-lint-'));
    try {
      const { writeFile } = await import('node:fs/promises');
      await writeFile(join(dir, 'Dockerfile'), 'FROM node:bad:tag:here\n');
      const result = await run(await dockerfileLint(), ['lint', join(dir, 'Dockerfile')]);
      expect(result.code).to.equal(1);
      expect(result.stdout).to.contain('ERROR: ');
      expect(result.stdout).to.contain('invalid reference format');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is built into a cache keyed by its source, and says how to build it when missing', async () => {
    const warm = await run('bash', [buildScript], { env: lintEnv() });
    expect(warm.code).to.equal(0);
    expect(warm.stdout.trim()).to.match(/\/buildkit-v0\.34\.2-[0-9a-f]{12}\/dockerfile-lint$/);
    const empty = await mkdtemp(join(tmpdir(), 'dockerfile-lint-cache-'));
    try {
      const cold = await run('bash', [buildScript], { env: { ...lintEnv(), DOCKERFILE_LINT_CACHE_DIR: empty } });
      expect(cold.code).to.equal(1);
      expect(cold.stderr).to.contain('is not built');
      expect(cold.stderr).to.contain('bash scripts/image/build-dockerfile-lint.sh');
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
