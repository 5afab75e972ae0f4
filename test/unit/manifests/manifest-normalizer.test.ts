import { expect } from 'chai';
import { megabytesOf, normalizeManifest, splitRoute } from '../../../src/domain/manifests/manifest-normalizer.ts';
import { randomHost } from '../../../src/domain/manifests/apply-manifest.ts';

describe('manifest normaliser', () => {
  it('reads amounts in whole megabytes, rounded down, in every unit and case Korifi takes', () => {
    expect(megabytesOf('256M')).to.equal(256);
    expect(megabytesOf('256mb')).to.equal(256);
    expect(megabytesOf('1G')).to.equal(1024);
    expect(megabytesOf('1.5gb')).to.equal(1536);
    expect(megabytesOf('2T')).to.equal(2 * 1024 * 1024);
    expect(megabytesOf('1536K')).to.equal(1);
    expect(megabytesOf('1048576B')).to.equal(1);
    expect(megabytesOf('100K')).to.equal(0);
    expect(megabytesOf('256')).to.equal(undefined);
    expect(megabytesOf('1Gb')).to.equal(undefined);
  });

  it('splits a route as Korifi does: the host before the first dot, the path from the first slash', () => {
    expect(splitRoute('app.apps.example.org')).to.deep.equal({ host: 'app', domain: 'apps.example.org', path: '' });
    expect(splitRoute('app.apps.example.org/v1/x')).to.deep.equal({ host: 'app', domain: 'apps.example.org', path: '/v1/x' });
    expect(splitRoute('https://app.example.org:8443/p')).to.deep.equal({ host: 'app', domain: 'example.org', path: '/p' });
  });

  it('folds app-level settings into web (a web entry winning), keeps web first, and reads none as process', () => {
    const [app] = normalizeManifest({
      version: 1,
      applications: [
        {
          name: 'a',
          memory: '1G',
          instances: 3,
          command: 'run',
          'health-check-type': 'none',
          'disk-quota': '2G',
          processes: [
            { type: 'worker', instances: 1 },
            { type: 'web', instances: 5 },
          ],
        },
      ],
    });
    expect(app!.processes).to.deep.equal([
      { type: 'web', memoryMB: 1024, instances: 5, command: 'run', healthCheckType: 'process', diskMB: 2048 },
      { type: 'worker', instances: 1 },
    ]);
    expect(normalizeManifest({ version: 1, applications: [{ name: 'b' }] })[0]!.processes).to.deep.equal([{ type: 'web' }]);
  });

  it('takes the lifecycle from docker, buildpacks (or the single buildpack) and stack', () => {
    const lifecycles = normalizeManifest({
      version: 1,
      applications: [
        { name: 'd', docker: { image: 'nginx' } },
        { name: 'b', buildpack: 'go_buildpack', stack: 'cflinuxfs4' },
        { name: 'n' },
      ],
    }).map((app) => app.lifecycle);
    expect(lifecycles).to.deep.equal([
      { type: 'docker', image: 'nginx' },
      { type: 'buildpack', buildpacks: ['go_buildpack'], stack: 'cflinuxfs4' },
      undefined,
    ]);
  });

  it('makes random hosts of the app name, two words and two letters, fit for a route', () => {
    const hosts = new Set(Array.from({ length: 20 }, () => randomHost('My_App')));
    for (const host of hosts) expect(host).to.match(/^my-app-[a-z]+-[a-z]+-[a-z]{2}$/);
    expect(hosts.size).to.be.greaterThan(1);
  });
});
