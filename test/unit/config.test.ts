import { expect } from 'chai';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load.ts';

async function configFile(text: string): Promise<string> {
  const file = join(await mkdtemp(join(tmpdir(), 'cf-api-config-')), 'config.yaml');
  await writeFile(file, text);
  return file;
}

describe('loadConfig', () => {
  it('has defaults that serve locally on the embedded backend', async () => {
    const config = await loadConfig({ env: {} });
    expect(config).to.deep.include({
      backend: 'embedded',
      rootNamespace: 'cf',
      externalUrl: 'http://127.0.0.1:8080',
      dataDir: 'data',
      logLevel: 'info',
    });
    expect(config.list.defaultPageSize).to.equal(50);
  });

  it('reads the example configuration as the defaults', async () => {
    const example = new URL('../../config.example.yaml', import.meta.url).pathname;
    expect(await loadConfig({ file: example, env: {} })).to.deep.equal(await loadConfig({ env: {} }));
  });

  it("warns about long-lived client certificates after Korifi's 168 h on kubernetes, not at all on embedded, unless set", async () => {
    expect((await loadConfig({ env: {} })).certificateWarningHours).to.equal(undefined);
    expect((await loadConfig({ env: { CFAPI_BACKEND: 'kubernetes' } })).certificateWarningHours).to.equal(168);
    const file = await configFile('certificateWarningHours: 24\n');
    expect((await loadConfig({ file, env: {} })).certificateWarningHours).to.equal(24);
  });

  it('runs apps with the local runtime on the embedded backend and leaves them to Korifi on kubernetes, unless set', async () => {
    expect((await loadConfig({ env: {} })).appRuntime).to.equal('local');
    expect((await loadConfig({ env: { CFAPI_BACKEND: 'kubernetes' } })).appRuntime).to.equal('none');
    expect((await loadConfig({ env: { CFAPI_BACKEND: 'kubernetes', CFAPI_APP_RUNTIME: 'local' } })).appRuntime).to.equal('local');
    expect((await loadConfig({ env: { CFAPI_APP_RUNTIME: 'scripted' } })).appRuntime).to.equal('scripted');
    await loadConfig({ env: { CFAPI_APP_RUNTIME: 'docker' } }).then(
      () => expect.fail('an unknown runtime was accepted'),
      (error: Error) => expect(error.message).to.match(/appRuntime/),
    );
    const router = (await loadConfig({ env: { CFAPI_ROUTER_HOST: '0.0.0.0', CFAPI_ROUTER_PORT: '9081' } })).router;
    expect(router).to.deep.equal({ host: '0.0.0.0', port: 9081 });
  });

  it('reads the YAML file and lets the environment override it', async () => {
    const file = await configFile('listen:\n  port: 9000\nexternalUrl: https://api.example.test/\nlist:\n  defaultPageSize: 20\n');
    const config = await loadConfig({ file, env: { CFAPI_LISTEN_PORT: '9100', CFAPI_LOG_LEVEL: 'warn' } });
    expect(config.listen.port).to.equal(9100);
    expect(config.logLevel).to.equal('warn');
    expect(config.externalUrl).to.equal('https://api.example.test');
    expect(config.list.defaultPageSize).to.equal(20);
  });

  it('derives an https external URL when TLS is configured', async () => {
    const file = await configFile('tls:\n  certFile: /x.crt\n  keyFile: /x.key\nlisten:\n  host: 0.0.0.0\n  port: 8443\n');
    expect((await loadConfig({ file, env: {} })).externalUrl).to.equal('https://127.0.0.1:8443');
  });

  it('applies nested flag overrides without dropping the rest of their section', async () => {
    const config = await loadConfig({
      env: { CFAPI_KUBE_CONTEXT: 'from-env' },
      overrides: { 'kubernetes.kubeconfig': '/tmp/kubeconfig' },
    });
    expect(config.kubernetes).to.deep.equal({ kubeconfig: '/tmp/kubeconfig', context: 'from-env', readCache: true });
  });

  it('turns the kubernetes read cache off with CFAPI_KUBE_READ_CACHE=false (on by default)', async () => {
    expect((await loadConfig({ env: {} })).kubernetes.readCache).to.equal(true);
    expect((await loadConfig({ env: { CFAPI_KUBE_READ_CACHE: 'false' } })).kubernetes.readCache).to.equal(false);
  });

  it('applies flag overrides last', async () => {
    const config = await loadConfig({ env: { CFAPI_BACKEND: 'embedded' }, overrides: { backend: 'kubernetes' } });
    expect(config.backend).to.equal('kubernetes');
  });

  it('names every problem of an invalid file', async () => {
    const file = await configFile('listen:\n  port: http\nbackend: etcd\ncolour: blue\n');
    const error = await loadConfig({ file, env: {} }).catch((thrown: unknown) => thrown);
    expect(error).to.be.instanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).to.contain(file).and.to.contain('listen.port').and.to.contain('backend').and.to.contain('"colour"');
  });

  it('refuses a non-numeric environment number', async () => {
    const error = await loadConfig({ env: { CFAPI_LISTEN_PORT: 'eighty' } }).catch((thrown: unknown) => thrown);
    expect((error as Error).message).to.equal('CFAPI_LISTEN_PORT must be a number, got "eighty"');
  });

  it('reads the reconcilers switch from the environment as a boolean, and leaves it unset by default', async () => {
    expect((await loadConfig({ env: {} })).reconcilers).to.equal(undefined);
    expect((await loadConfig({ env: { CFAPI_RECONCILERS: 'true' } })).reconcilers).to.equal(true);
    expect((await loadConfig({ env: { CFAPI_RECONCILERS: 'false' } })).reconcilers).to.equal(false);
    const error = await loadConfig({ env: { CFAPI_RECONCILERS: 'yes' } }).catch((thrown: unknown) => thrown);
    expect((error as Error).message).to.equal('CFAPI_RECONCILERS must be true or false, got "yes"');
    expect((await loadConfig({ env: {}, overrides: { reconcilers: true } })).reconcilers).to.equal(true);
  });

  it('refuses YAML that does not parse, or is not a mapping', async () => {
    const broken = await loadConfig({ file: await configFile('listen: [unclosed'), env: {} }).catch((thrown: unknown) => thrown);
    expect((broken as Error).message).to.contain('is not valid YAML');
    const list = await loadConfig({ file: await configFile('- a\n- b\n'), env: {} }).catch((thrown: unknown) => thrown);
    expect((list as Error).message).to.contain('must hold a YAML mapping');
  });

  it('says which file it cannot read', async () => {
    const error = await loadConfig({ file: '/nonexistent/config.yaml', env: {} }).catch((thrown: unknown) => thrown);
    expect((error as Error).message).to.contain('Cannot read the configuration file /nonexistent/config.yaml');
  });
});
