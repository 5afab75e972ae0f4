import { expect } from 'chai';
import { ConfigError, loadConfig, validateConfig } from '../../src/config/load.ts';
import { isLoopbackHost } from '../../src/config/plain-http-guard.ts';

describe('isLoopbackHost', () => {
  it('knows loopback addresses and localhost', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST']) {
      expect(isLoopbackHost(host), host).to.equal(true);
    }
  });

  it('does not count the wildcards, other addresses or names as loopback', () => {
    for (const host of [
      '0.0.0.0',
      '::',
      '10.0.0.1',
      '128.0.0.1',
      'fe80::1',
      '::ffff:10.0.0.1',
      'api.example.org',
      'localhost.example.org',
    ]) {
      expect(isLoopbackHost(host), host).to.equal(false);
    }
  });
});

describe('loadConfig: plain HTTP on the network', () => {
  const refusal = (env: Record<string, string>) =>
    loadConfig({ env }).then(
      () => undefined,
      (error: unknown) => error,
    );

  it('refuses a non-loopback address without TLS, saying why and what to do', async () => {
    for (const host of ['0.0.0.0', '::', '10.1.2.3', 'api.example.org']) {
      const error = await refusal({ CFAPI_LISTEN_HOST: host });
      expect(error, host).to.be.instanceOf(ConfigError);
      expect((error as Error).message, host)
        .to.contain(`plain HTTP on ${host}`)
        .and.to.contain('private keys')
        .and.to.contain('Authorization header')
        .and.to.contain('tls.certFile')
        .and.to.contain('listen.allowPlainHttp')
        .and.to.contain('CFAPI_LISTEN_ALLOW_PLAIN_HTTP');
    }
  });

  it('serves a non-loopback address with TLS, or with plain HTTP when the key allows it', async () => {
    const tls = { CFAPI_LISTEN_HOST: '0.0.0.0', CFAPI_TLS_CERT_FILE: '/x.crt', CFAPI_TLS_KEY_FILE: '/x.key' };
    expect((await loadConfig({ env: tls })).listen.host).to.equal('0.0.0.0');
    const allowed = await loadConfig({ env: { CFAPI_LISTEN_HOST: '0.0.0.0', CFAPI_LISTEN_ALLOW_PLAIN_HTTP: 'true' } });
    expect(allowed.listen).to.deep.equal({ host: '0.0.0.0', port: 8080, allowPlainHttp: true });
    expect(validateConfig({ listen: { host: '::', allowPlainHttp: true } }).listen.allowPlainHttp).to.equal(true);
    expect(await refusal({ CFAPI_LISTEN_HOST: '0.0.0.0', CFAPI_LISTEN_ALLOW_PLAIN_HTTP: 'false' })).to.be.instanceOf(ConfigError);
  });

  it('serves plain HTTP on loopback by default', async () => {
    for (const host of ['127.0.0.1', '::1', 'localhost']) {
      expect((await loadConfig({ env: { CFAPI_LISTEN_HOST: host } })).listen).to.deep.equal({ host, port: 8080, allowPlainHttp: false });
    }
  });
});

describe('loadConfig: info.minCliVersion', () => {
  it('is 8.5.0 by default and takes a plain version', () => {
    expect(validateConfig({}).info.minCliVersion).to.equal('8.5.0');
    expect(validateConfig({ info: { minCliVersion: '8.7.0' } }).info.minCliVersion).to.equal('8.7.0');
  });

  it('refuses anything the gate could not compare with', () => {
    for (const minCliVersion of ['8.5', 'v8.5.0', '8.5.0-0', 'latest', '08.5.0']) {
      expect(() => validateConfig({ info: { minCliVersion } }), minCliVersion).to.throw(ConfigError, 'info.minCliVersion');
    }
  });
});
