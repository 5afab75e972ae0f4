import { expect } from 'chai';
import { ConfigError, loadConfig, validateConfig } from '../../../src/config/load.ts';

describe('configuration of package bits', () => {
  it('has bounds by default: a 1 GiB upload, 2 GiB unpacked, 100,000 entries, a 1 GiB resource cache', async () => {
    const config = await loadConfig({ env: {} });
    expect(config.packages).to.deep.equal({ maxUploadBytes: 1024 ** 3, maxUncompressedBytes: 2 * 1024 ** 3, maxEntries: 100_000 });
    expect(config.resourceMatching).to.deep.equal({ cacheBytes: 1024 ** 3 });
  });

  it('reads them from the environment', async () => {
    const config = await loadConfig({
      env: {
        CFAPI_PACKAGES_MAX_UPLOAD_BYTES: '1000',
        CFAPI_PACKAGES_MAX_UNCOMPRESSED_BYTES: '2000',
        CFAPI_PACKAGES_MAX_ENTRIES: '30',
        CFAPI_RESOURCE_MATCHING_CACHE_BYTES: '0',
      },
    });
    expect(config.packages).to.deep.equal({ maxUploadBytes: 1000, maxUncompressedBytes: 2000, maxEntries: 30 });
    expect(config.resourceMatching.cacheBytes).to.equal(0);
  });

  it('refuses bounds that are not positive whole numbers, naming the key', () => {
    expect(() => validateConfig({ packages: { maxEntries: 0 } })).to.throw(ConfigError, /packages\.maxEntries/);
    expect(() => validateConfig({ packages: { maxUploadBytes: 1.5 } })).to.throw(ConfigError, /packages\.maxUploadBytes/);
    expect(() => validateConfig({ resourceMatching: { cacheBytes: -1 } })).to.throw(ConfigError, /resourceMatching\.cacheBytes/);
    expect(() => validateConfig({ packages: { maxUploadSize: 1 } })).to.throw(ConfigError, /maxUploadSize/);
  });
});
