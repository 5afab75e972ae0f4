import { expect } from 'chai';
import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { locateCfCli, missingCliMessage } from '../e2e/support/cf-cli.ts';

describe('how the e2e suites find the cf CLI', () => {
  let directory: string;
  let binary: string;
  before(async () => {
    directory = await mkdtemp(join(tmpdir(), 'cf-cli-locator-'));
    binary = join(directory, 'cf');
    await writeFile(binary, '#!/bin/sh\n');
    await chmod(binary, 0o755);
  });

  it('takes CF_CLI first', () => {
    expect(locateCfCli({ CF_CLI: binary, PATH: '/nowhere' })).to.equal(binary);
  });

  it('else finds cf on PATH', () => {
    expect(locateCfCli({ PATH: `/nowhere:${directory}` })).to.equal(binary);
  });

  it('says how to get the CLI when there is none', () => {
    expect(() => locateCfCli({ PATH: '/nowhere' })).to.throw(missingCliMessage);
  });

  it('refuses a CF_CLI that is not an executable file', () => {
    expect(() => locateCfCli({ CF_CLI: join(directory, 'missing'), PATH: directory })).to.throw(/^CF_CLI=.* is not an executable file/);
  });
});
