import type { TestResponse, TestServer, UserCredentials } from '../../support/test-server.ts';
import { authHeaders } from '../../support/test-server.ts';

/**
 * The cf CLI v8.18.4 in CF-on-Kubernetes mode, modelled from its request sequences and from how it reads
 * responses (`../shared/reference/cf-cli.md` §1–3): the same headers, queries (keys sorted), `next`
 * links followed, jobs polled from `Location`, and the 422 texts it treats as success. It stands in for
 * the real CLI, which the Go module proxy here does not serve; each command returns what the CLI would
 * print as its result, or throws the error it would fail with.
 */
export class CfCliModel {
  readonly #server: TestServer;
  readonly #headers: Record<string, string>;
  readonly warnings: string[] = [];

  constructor(server: TestServer, user: UserCredentials) {
    this.#server = server;
    this.#headers = {
      ...authHeaders.clientCert(user), // the CLI prefers the kubeconfig's client certificate
      'User-Agent': 'cf/8.18.4+0e2f8d2.2026-01-13 (go1.26.8; amd64 linux)',
      'Content-Type': 'application/json',
      Accept: 'application/json',
    };
  }

  /** `GET /whoami`, which nearly every command calls first. */
  async whoami(): Promise<string> {
    return ((await this.#expect('GET', '/whoami', 200)).body as { name: string }).name;
  }

  async createOrg(name: string): Promise<'created' | 'already exists'> {
    await this.whoami();
    const response = await this.#send('POST', '/v3/organizations', { name, suspended: false });
    if (response.status === 422 && detailOf(response) === `Organization '${name}' already exists.`) return 'already exists';
    this.#require(response, 201);
    return 'created';
  }

  /** `cf orgs`: names in the order the server sorted them. */
  async orgs(): Promise<string[]> {
    await this.whoami();
    return (await this.#all('/v3/organizations?order_by=name')).map((org) => org['name'] as string);
  }

  /** `cf org NAME`: the org's GUID, its domains and its spaces. */
  async org(name: string): Promise<{ guid: string; domains: string[]; spaces: string[] }> {
    const guid = await this.#orgGuid(name);
    const domains = (await this.#all(`/v3/organizations/${guid}/domains`)).map((domain) => domain['name'] as string);
    await this.#expect('GET', '/v3/organization_quotas', 200);
    const spaces = (await this.#all(`/v3/spaces?order_by=name&organization_guids=${guid}`)).map((space) => space['name'] as string);
    await this.#expect('GET', `/v3/organizations/${guid}/relationships/default_isolation_segment`, 200);
    await this.#expect('GET', `/v3/isolation_segments?organization_guids=${guid}`, 200);
    return { guid, domains, spaces };
  }

  /** `cf create-space NAME -o ORG`: the space, then org_user + space_manager + space_developer for the caller, errors ignored. */
  async createSpace(name: string, orgName: string): Promise<'created' | 'already exists'> {
    const orgGuid = await this.#orgGuid(orgName);
    const username = await this.whoami();
    const response = await this.#send('POST', '/v3/spaces', { name, relationships: { organization: { data: { guid: orgGuid } } } });
    if (response.status === 422 && detailOf(response).includes('Name must be unique per organization')) return 'already exists';
    const spaceGuid = (this.#require(response, 201).body as { guid: string }).guid;
    for (const type of ['space_manager', 'space_developer']) {
      await this.#assignOrgUser(username, orgGuid);
      await this.#send('POST', '/v3/roles', {
        type,
        relationships: { user: { data: { username } }, space: { data: { guid: spaceGuid } } },
      });
    }
    return 'created';
  }

  async spaces(orgName: string): Promise<string[]> {
    const orgGuid = await this.#orgGuid(orgName);
    await this.whoami();
    return (await this.#all(`/v3/spaces?order_by=name&organization_guids=${orgGuid}`)).map((space) => space['name'] as string);
  }

  /** `cf space NAME --guid` (and the space half of `cf target -o ORG -s NAME`). */
  async spaceGuid(name: string, orgName: string): Promise<string> {
    const orgGuid = await this.#orgGuid(orgName);
    const [space] = await this.#list(`/v3/spaces?names=${encodeURIComponent(name)}&organization_guids=${orgGuid}&page=1&per_page=1`);
    if (!space) throw new Error(`Space '${name}' not found.`);
    return space['guid'] as string;
  }

  /** `cf set-org-role USER ORG ROLE` (`OrgManager`, `BillingManager`, `OrgAuditor`; OrgUser is not offered). */
  async setOrgRole(username: string, orgName: string, type: string): Promise<'granted' | 'already held'> {
    await this.whoami();
    const orgGuid = await this.#orgGuid(orgName);
    return this.#grant({ type, relationships: { user: { data: { username } }, organization: { data: { guid: orgGuid } } } });
  }

  /** `cf set-space-role USER ORG SPACE ROLE`: org_user first (errors ignored), then the space role. */
  async setSpaceRole(username: string, orgName: string, spaceName: string, type: string): Promise<'granted' | 'already held'> {
    await this.whoami();
    const orgGuid = await this.#orgGuid(orgName);
    const spaceGuid = await this.spaceGuid(spaceName, orgName);
    await this.#assignOrgUser(username, orgGuid);
    return this.#grant({ type, relationships: { user: { data: { username } }, space: { data: { guid: spaceGuid } } } });
  }

  /** `cf unset-space-role USER ORG SPACE ROLE`: find the user, then the role, delete it and wait for the job. */
  async unsetSpaceRole(username: string, orgName: string, spaceName: string, type: string): Promise<void> {
    await this.whoami();
    const spaceGuid = await this.spaceGuid(spaceName, orgName);
    const [user] = await this.#list(`/v3/users?usernames=${encodeURIComponent(username)}`);
    if (!user) throw new Error(`User '${username}' does not exist.`);
    const query = `page=1&per_page=1&space_guids=${spaceGuid}&types=${type}&user_guids=${encodeURIComponent(user['guid'] as string)}`;
    const [role] = await this.#list(`/v3/roles?${query}`);
    if (!role) return; // the CLI says OK when there is nothing to remove
    await this.#deleteAndWait(`/v3/roles/${role['guid'] as string}`);
  }

  /** `cf org-users ORG` / `cf space-users ORG SPACE`: role type → user names, from `include=user`. */
  async orgUsers(orgName: string): Promise<Record<string, string[]>> {
    const orgGuid = await this.#orgGuid(orgName);
    return this.#usersByRole(`/v3/roles?include=user&organization_guids=${orgGuid}&per_page=5000`);
  }

  async spaceUsers(orgName: string, spaceName: string): Promise<Record<string, string[]>> {
    const spaceGuid = await this.spaceGuid(spaceName, orgName);
    return this.#usersByRole(`/v3/roles?include=user&per_page=5000&space_guids=${spaceGuid}`);
  }

  /** `cf domains` (for the targeted org): name → "shared" or the owning org. */
  async domains(orgName: string): Promise<Record<string, string>> {
    const orgGuid = await this.#orgGuid(orgName);
    const domains = await this.#all(`/v3/organizations/${orgGuid}/domains`);
    return Object.fromEntries(
      domains.map((domain) => {
        const owner = (domain['relationships'] as { organization: { data: { guid: string } | null } }).organization.data;
        return [domain['name'] as string, owner === null ? 'shared' : owner.guid];
      }),
    );
  }

  async deleteSpace(spaceName: string, orgName: string): Promise<void> {
    await this.whoami();
    await this.#deleteAndWait(`/v3/spaces/${await this.spaceGuid(spaceName, orgName)}`);
  }

  /** `cf delete-org -f`: a missing org is a warning and success. */
  async deleteOrg(orgName: string): Promise<'deleted' | 'did not exist'> {
    await this.whoami();
    const [org] = await this.#list(`/v3/organizations?names=${encodeURIComponent(orgName)}&page=1&per_page=1`);
    if (!org) return 'did not exist';
    await this.#deleteAndWait(`/v3/organizations/${org['guid'] as string}`);
    return 'deleted';
  }

  async #usersByRole(path: string): Promise<Record<string, string[]>> {
    const response = await this.#expect('GET', path, 200);
    const body = response.body as {
      resources: Record<string, unknown>[];
      included?: { users?: { guid: string; presentation_name: string }[] };
    };
    const names = new Map((body.included?.users ?? []).map((user) => [user.guid, user.presentation_name]));
    const byRole: Record<string, string[]> = {};
    for (const role of body.resources) {
      const userGuid = (role['relationships'] as { user: { data: { guid: string } } }).user.data.guid;
      (byRole[role['type'] as string] ??= []).push(names.get(userGuid) ?? `(unknown ${userGuid})`);
    }
    for (const users of Object.values(byRole)) users.sort();
    return byRole;
  }

  async #assignOrgUser(username: string, orgGuid: string): Promise<void> {
    // 422 already-has-role, 403 and user-not-found are ignored by the CLI here.
    await this.#send('POST', '/v3/roles', {
      type: 'organization_user',
      relationships: { user: { data: { username } }, organization: { data: { guid: orgGuid } } },
    });
  }

  async #grant(body: { type: string; relationships: Record<string, unknown> }): Promise<'granted' | 'already held'> {
    const response = await this.#send('POST', '/v3/roles', body);
    if (response.status === 422 && /^User '.*' already has '.*' role/.test(detailOf(response))) {
      this.warnings.push(detailOf(response));
      return 'already held';
    }
    this.#require(response, 201);
    return 'granted';
  }

  async #orgGuid(name: string): Promise<string> {
    const [org] = await this.#list(`/v3/organizations?names=${encodeURIComponent(name)}&page=1&per_page=1`);
    if (!org) throw new Error(`Organization '${name}' not found.`);
    return org['guid'] as string;
  }

  async #deleteAndWait(path: string): Promise<void> {
    const response = this.#require(await this.#send('DELETE', path), 202);
    const location = response.headers.get('location') ?? '';
    for (;;) {
      const job = (await this.#expect('GET', location.replace(this.#server.externalUrl, ''), 200)).body as {
        state: string;
        errors: { detail: string }[];
      };
      if (job.state === 'COMPLETE') return;
      if (job.state === 'FAILED') throw new Error(job.errors[0]?.detail ?? 'Job failed with no error');
      await new Promise((resolve) => setTimeout(resolve, 100)); // the CLI waits 3 s; the flow is the same
    }
  }

  /** One page, as the CLI reads it when it sent `page=` itself. */
  async #list(path: string): Promise<Record<string, unknown>[]> {
    return ((await this.#expect('GET', path, 200)).body as { resources: Record<string, unknown>[] }).resources;
  }

  /** Every page, following `pagination.next.href` verbatim. */
  async #all(path: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let next: string | undefined = path;
    while (next !== undefined) {
      const body = (await this.#expect('GET', next, 200)).body as {
        resources: Record<string, unknown>[];
        pagination: { next: { href: string } | null };
      };
      items.push(...body.resources);
      next = body.pagination.next?.href.replace(this.#server.externalUrl, '');
    }
    return items;
  }

  async #send(method: string, path: string, body?: unknown): Promise<TestResponse> {
    const response = await this.#server.request(path, {
      method,
      headers: this.#headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const warnings = response.headers.get('x-cf-warnings');
    if (warnings) this.warnings.push(...warnings.split(',').map((warning) => decodeURIComponent(warning)));
    return response;
  }

  async #expect(method: string, path: string, status: number): Promise<TestResponse> {
    return this.#require(await this.#send(method, path), status);
  }

  #require(response: TestResponse, status: number): TestResponse {
    if (response.status !== status) throw new Error(`unexpected ${response.status}: ${response.text}`);
    return response;
  }
}

function detailOf(response: TestResponse): string {
  return (response.body as { errors?: { detail: string }[] } | undefined)?.errors?.[0]?.detail ?? '';
}
