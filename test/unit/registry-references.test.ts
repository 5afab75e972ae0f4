import { expect } from 'chai';
import { parseChallenge, tokenUrl } from '../../src/store/kubernetes/registry/auth-challenge.ts';
import { registryCredentialsFromSecrets } from '../../src/store/kubernetes/registry/docker-config.ts';
import { parseImageReference } from '../../src/store/kubernetes/registry/image-reference.ts';
import { packageRepository } from '../../src/store/kubernetes/registry/package-image.ts';

const base64 = (text: string): string => Buffer.from(text).toString('base64');
const dockerConfigJson = (auths: object) => ({
  type: 'kubernetes.io/dockerconfigjson',
  data: { '.dockerconfigjson': base64(JSON.stringify({ auths })) },
});

describe('Image references', function () {
  it('splits registry, repository and tag or digest as the Docker tools do', function () {
    const digest = `sha256:${'a'.repeat(64)}`;
    expect(parseImageReference('registry.example.com:5000/cf/app-packages')).to.deep.equal({
      registry: 'registry.example.com:5000',
      repository: 'cf/app-packages',
      reference: 'latest',
    });
    expect(parseImageReference('localhost/a:v1')).to.deep.equal({ registry: 'localhost', repository: 'a', reference: 'v1' });
    expect(parseImageReference(`127.0.0.1:5000/a/b@${digest}`)).to.deep.equal({
      registry: '127.0.0.1:5000',
      repository: 'a/b',
      reference: digest,
    });
    expect(parseImageReference('ubuntu')).to.deep.equal({ registry: 'index.docker.io', repository: 'library/ubuntu', reference: 'latest' });
    expect(parseImageReference('docker.io/me/app:1')).to.deep.equal({ registry: 'index.docker.io', repository: 'me/app', reference: '1' });
  });

  it('refuses what is not an image reference', function () {
    for (const bad of ['registry.example.com/Upper', 'r.example.com/a:b:c', 'r.example.com/a@sha256:short', 'r.example.com/a:-tag', ''])
      expect(() => parseImageReference(bad), bad).to.throw(/invalid image reference/);
  });

  it('names an app’s package repository as Korifi does', function () {
    expect(packageRepository('registry.example.com/korifi/', 'app-guid')).to.equal('registry.example.com/korifi/app-guid-packages');
  });
});

describe('Registry credentials from docker config Secrets', function () {
  it('finds the entry for the registry host, with or without scheme and path', function () {
    const secrets = [
      dockerConfigJson({ 'other.example.com': { username: 'x', password: 'y' } }),
      dockerConfigJson({ 'https://registry.example.com:5000/v2/': { username: 'u', password: 'p' } }),
    ];
    expect(registryCredentialsFromSecrets(secrets, 'registry.example.com:5000')).to.deep.equal({ username: 'u', password: 'p' });
    expect(registryCredentialsFromSecrets(secrets, 'registry.example.com')).to.equal(undefined);
  });

  it('reads `auth` when there is no user name, and the older .dockercfg Secrets', function () {
    const legacy = {
      type: 'kubernetes.io/dockercfg',
      data: { '.dockercfg': base64(JSON.stringify({ 'r.example.com': { auth: base64('me:s3:cret') } })) },
    };
    expect(registryCredentialsFromSecrets([legacy], 'r.example.com')).to.deep.equal({ username: 'me', password: 's3:cret' });
  });

  it('knows Docker Hub by any of its names', function () {
    const secret = dockerConfigJson({ 'https://index.docker.io/v1/': { username: 'hub', password: 'pw' } });
    expect(registryCredentialsFromSecrets([secret], 'index.docker.io')).to.deep.equal({ username: 'hub', password: 'pw' });
    expect(registryCredentialsFromSecrets([secret], 'registry-1.docker.io')).to.deep.equal({ username: 'hub', password: 'pw' });
  });

  it('takes the first Secret that has the registry, and skips Secrets that do not parse or are of another type', function () {
    const broken = { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': base64('{not json') } };
    const opaque = {
      type: 'Opaque',
      data: { '.dockerconfigjson': base64(JSON.stringify({ auths: { 'r.example.com': { username: 'o', password: 'o' } } })) },
    };
    const first = dockerConfigJson({ 'r.example.com': { username: 'first', password: '1' } });
    const second = dockerConfigJson({ 'r.example.com': { username: 'second', password: '2' } });
    expect(registryCredentialsFromSecrets([broken, opaque, first, second], 'r.example.com')).to.deep.equal({
      username: 'first',
      password: '1',
    });
    expect(registryCredentialsFromSecrets([broken, opaque], 'r.example.com')).to.equal(undefined);
  });
});

describe('Registry authentication challenges', function () {
  it('reads the scheme and the parameters, quoted values holding commas and colons', function () {
    const challenge = parseChallenge(
      'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull,push"',
    );
    expect(challenge).to.deep.equal({
      scheme: 'bearer',
      params: { realm: 'https://auth.example.com/token', service: 'registry.example.com', scope: 'repository:a/b:pull,push' },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).to.deep.equal({ scheme: 'basic', params: { realm: 'Registry Realm' } });
  });

  it('asks the realm for a token with the service and the scope', function () {
    const url = tokenUrl(parseChallenge('Bearer realm="https://auth.example.com/token?x=1",service="svc",scope="repository:a:pull"'));
    expect(url.href).to.equal('https://auth.example.com/token?x=1&service=svc&scope=repository%3Aa%3Apull');
    expect(tokenUrl(parseChallenge('Bearer service="svc"')).protocol).to.equal('invalid:');
  });
});
