import { expect } from 'chai';
import { eventually, uniqueName } from '../../store/fixture.ts';
import { forEachBackend } from '../tenancy/backends.ts';
import type { CfUser } from '../tenancy/cf-client.ts';

/**
 * Writes by callers who may read an object but not change it, where the write would change nothing (the
 * labels are already there, the process already has that size): a store write that changes nothing is
 * skipped, so the decision must not hang on it. Korifi's Kubernetes refuses such a patch (403) as any
 * other; so do we. And a supporter, who may change an app but not watch it, sets its current droplet and
 * is answered once the app is ready for it.
 */
forEachBackend(
  'writes by readers, and a supporter setting the current droplet',
  (cf) => {
    let space: string;
    let app: string;
    let packageGuid: string;
    let droplets: string[];
    let process: string;
    let manager: CfUser;
    let supporter: CfUser;
    const labels = { metadata: { labels: { 'reader-writes': 'already' } } };

    const created = async (path: string, body: unknown): Promise<string> => {
      const response = await cf.post(path, body);
      expect(response.status, response.text).to.equal(201);
      return (response.body as { guid: string }).guid;
    };
    const staged = async (): Promise<string> => {
      const guid = await created('/v3/builds', { package: { guid: packageGuid } });
      await eventually(async () => {
        const response = await cf.get(`/v3/builds/${guid}`);
        expect((response.body as { state: string }).state, response.text).to.equal('STAGED');
      }, 30_000);
      return guid;
    };

    before(async function () {
      this.timeout(180_000);
      const org = await cf.createOrg();
      space = (await cf.createSpace(org.guid)).guid;
      app = await created('/v3/apps', {
        name: uniqueName('app'),
        relationships: { space: { data: { guid: space } } },
        lifecycle: { type: 'docker', data: {} },
      });
      packageGuid = await created('/v3/packages', {
        type: 'docker',
        relationships: { app: { data: { guid: app } } },
        data: { image: 'registry.example.test/reader-writes/app:1.0' },
      });
      droplets = await Promise.all([staged(), staged()]);
      const current = await cf.patch(`/v3/apps/${app}/relationships/current_droplet`, { data: { guid: droplets[0] } });
      expect(current.status, current.text).to.equal(200);
      process = await eventually(async () => {
        const response = await cf.get(`/v3/apps/${app}/processes/web`);
        expect(response.status, response.text).to.equal(200);
        return (response.body as { guid: string }).guid;
      }, 30_000);
      // The labels the managers' writes would set, already there.
      for (const path of [`/v3/packages/${packageGuid}`, `/v3/builds/${droplets[0]}`, `/v3/processes/${process}`]) {
        const response = await cf.patch(path, labels);
        expect(response.status, response.text).to.equal(200);
      }
      [manager, supporter] = await Promise.all([cf.newUser('reader-writes-manager'), cf.newUser('reader-writes-supporter')]);
      for (const user of [manager, supporter]) await cf.grant(user.name, 'organization_user', { organization: org.guid });
      await cf.grant(manager.name, 'space_manager', { space });
      await cf.grant(supporter.name, 'space_supporter', { space });
    });

    const noOpWrites = () => [
      { what: 'package labels', path: `/v3/packages/${packageGuid}`, body: labels },
      { what: 'build labels', path: `/v3/builds/${droplets[0]}`, body: labels },
      { what: 'droplet labels', path: `/v3/droplets/${droplets[0]}`, body: labels },
      { what: 'process labels', path: `/v3/processes/${process}`, body: labels },
    ];

    it('a space manager reads them but changes none, not even to what they already are (403)', async () => {
      for (const write of noOpWrites()) {
        const read = await cf.get(write.path, manager.headers);
        expect(read.status, `${write.what}: ${read.text}`).to.equal(200);
        const response = await cf.patch(write.path, write.body, manager.headers);
        expect(response.status, `${write.what}: ${response.text}`).to.equal(403);
        expect((response.body as { errors: { title: string }[] }).errors[0]?.title).to.equal('CF-NotAuthorized');
      }
      for (const path of [`/v3/processes/${process}/actions/scale`, `/v3/apps/${app}/processes/web/actions/scale`]) {
        const response = await cf.post(path, { instances: 1 }, manager.headers);
        expect(response.status, `${path}: ${response.text}`).to.equal(403);
      }
    });

    it('a space supporter may change processes, so a scale to the same size is 200 for them', async () => {
      const response = await cf.post(`/v3/processes/${process}/actions/scale`, { instances: 1 }, supporter.headers);
      expect(response.status, response.text).to.equal(200);
      const labelsAgain = await cf.patch(`/v3/processes/${process}`, labels, supporter.headers);
      expect(labelsAgain.status, labelsAgain.text).to.equal(200);
    });

    it('a space supporter sets another current droplet and is answered when the app is ready for it', async () => {
      const response = await cf.patch(`/v3/apps/${app}/relationships/current_droplet`, { data: { guid: droplets[1] } }, supporter.headers);
      expect(response.status, response.text).to.equal(200);
      expect((response.body as { data: { guid: string } }).data.guid).to.equal(droplets[1]);
      const current = await cf.get(`/v3/apps/${app}/relationships/current_droplet`, supporter.headers);
      expect((current.body as { data: { guid: string } }).data.guid).to.equal(droplets[1]);
    });
  },
  { config: { appRuntime: 'scripted' } },
);
