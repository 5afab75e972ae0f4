import { expect } from 'chai';
import { serverForSuite } from '../support/test-server.ts';

/**
 * The query machinery runs before any handler: a query the cf CLI sends is accepted (the handler's
 * answer: 200, 404 for an unknown GUID, 501 for operations not built yet) or refused (400/422).
 */
describe('query strings as the cf CLI sends them', () => {
  const suite = serverForSuite();

  const statusOf = async (path: string) => (await suite.server.request(path, { headers: suite.admin })).status;
  const detailOf = async (path: string) => {
    const response = await suite.server.request(path, { headers: suite.admin });
    return { status: response.status, detail: (response.body as { errors: { detail: string }[] }).errors[0]!.detail };
  };

  for (const [path, status] of [
    ['/v3/apps?names=my-app&space_guids=s1', 200],
    ['/v3/organizations?names=a%252Cb&page=1&per_page=1', 200],
    ['/v3/routes?domain_guids=d&hosts=&page=1&paths=&per_page=1', 200],
    ['/v3/spaces?include=organization&names=dev&organization_guids=o', 200],
    [
      '/v3/service_instances?fields%5Bservice_plan%5D=guid,name,relationships.service_offering&order_by=name&per_page=5000&space_guids=s',
      200,
    ],
    ['/v3/deployments?app_guids=a&order_by=-created_at&page=1&per_page=1&status_values=ACTIVE', 200],
    ['/v3/roles?organization_guids=o&page=1&per_page=1&types=organization_manager&user_guids=u', 200],
    // Accepted: the answer is the handler's (no app has this GUID).
    ['/api/v1/read/app-guid?descending=true&envelope_types=LOG&limit=1000&start_time=-6795364578871345152', 404],
  ] as const) {
    it(`accepts ${decodeURIComponent(path)}`, async () => {
      expect(await statusOf(path)).to.equal(status);
    });
  }

  it('refuses an unknown fields[...] key, listing the valid ones', async () => {
    const { status, detail } = await detailOf('/v3/service_instances?fields%5Bplanet%5D=name');
    expect(status).to.equal(400);
    expect(detail).to.contain("'fields[space]'").and.to.contain("'fields[service_plan.service_offering.service_broker]'");
  });

  it('refuses a value outside a parameter enum', async () => {
    expect(await detailOf('/v3/spaces?include=planet')).to.deep.equal({
      status: 422,
      detail: 'include[0] value must be one of: organization',
    });
    expect((await detailOf('/v3/service_instances?fields%5Bspace%5D=guid,colour')).status).to.equal(422);
  });

  it('refuses a limit outside log-cache bounds with a 400, as log-cache does', async () => {
    expect(await detailOf('/api/v1/read/app?limit=1001')).to.deep.equal({
      status: 400,
      detail: 'The query parameter is invalid: limit must be less than or equal to 1000',
    });
  });
});
