import { expect } from 'chai';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, validateConfig } from '../../src/config/load.ts';

describe('configuration of limits', () => {
  it('bounds a process at 1000 instances by default', async () => {
    expect((await loadConfig({ env: {} })).limits).to.deep.equal({ instancesPerProcess: 1000 });
  });

  it('reads the bound from CFAPI_LIMITS_INSTANCES_PER_PROCESS, over the file', async () => {
    const file = join(await mkdtemp(join(tmpdir(), 'cf-api-config-')), 'config.yaml');
    await writeFile(file, 'limits:\n  instancesPerProcess: 5\n');
    expect((await loadConfig({ file, env: {} })).limits.instancesPerProcess).to.equal(5);
    const config = await loadConfig({ file, env: { CFAPI_LIMITS_INSTANCES_PER_PROCESS: '25000' } });
    expect(config.limits.instancesPerProcess).to.equal(25_000);
  });

  it('refuses a bound that is not a whole number from 1 to 2^31-1, naming the key', () => {
    for (const instancesPerProcess of [0, -1, 1.5, 2_147_483_648]) {
      expect(() => validateConfig({ limits: { instancesPerProcess } })).to.throw(ConfigError, /limits\.instancesPerProcess/);
    }
    expect(() => validateConfig({ limits: { instances: 3 } })).to.throw(ConfigError, /instances/);
  });
});
