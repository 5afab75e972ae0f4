import { expect } from 'chai';
import { uniqueName } from '../../store/fixture.ts';
import { authHeaders, type TestResponse, type TestServer, type UserCredentials } from '../../support/test-server.ts';
import type { AuthHeaders, Job, Organization, Role, RoleType, Space } from './resources.ts';

/** A user of the server under test and the headers that authenticate as them (what the cf CLI would send). */
export type CfUser = { name: string; credentials: UserCredentials; headers: AuthHeaders };

/** Where a role applies: an organization or a space, by GUID. */
export type RoleTarget = { organization: string } | { space: string };

type SendOptions = { body?: string; as?: AuthHeaders };

const jobPollMs = 200;
const jobDeadlineMs = 100_000;

/**
 * The server under test seen through its HTTP API, as the admin unless told otherwise, with the steps
 * most tests start from (an org, a space, a role) checked to succeed.
 */
export class CfClient {
  readonly #serverOf: () => TestServer;

  constructor(serverOf: () => TestServer) {
    this.#serverOf = serverOf;
  }

  get server(): TestServer {
    return this.#serverOf();
  }

  /** The CF admin's Authorization header (a bearer token on embedded, a client certificate on Kubernetes). */
  get admin(): AuthHeaders {
    return authHeaders.forUser(this.server.admin);
  }

  /** An absolute API URL as links and `Location` headers carry it. */
  url(path: string): string {
    return `${this.server.externalUrl}${path}`;
  }

  send(method: string, path: string, options: SendOptions = {}): Promise<TestResponse> {
    const headers = { 'Content-Type': 'application/json', ...(options.as ?? this.admin) };
    return this.server.request(path, { method, headers, ...(options.body === undefined ? {} : { body: options.body }) });
  }

  get(path: string, as?: AuthHeaders): Promise<TestResponse> {
    return this.send('GET', path, as === undefined ? {} : { as });
  }

  post(path: string, body: unknown, as?: AuthHeaders): Promise<TestResponse> {
    return this.send('POST', path, { body: JSON.stringify(body), ...(as === undefined ? {} : { as }) });
  }

  patch(path: string, body: unknown, as?: AuthHeaders): Promise<TestResponse> {
    return this.send('PATCH', path, { body: JSON.stringify(body), ...(as === undefined ? {} : { as }) });
  }

  delete(path: string, as?: AuthHeaders): Promise<TestResponse> {
    return this.send('DELETE', path, as === undefined ? {} : { as });
  }

  /** A new user the backend authenticates, holding no CF role, with a unique name. */
  async newUser(prefix = 'user'): Promise<CfUser> {
    const credentials = await this.server.newUser(uniqueName(prefix));
    return { name: credentials.name, credentials, headers: authHeaders.forUser(credentials) };
  }

  async createOrg(name = uniqueName('org'), as?: AuthHeaders): Promise<Organization> {
    const response = await this.post('/v3/organizations', { name, suspended: false }, as);
    expect(response.status, response.text).to.equal(201);
    return response.body as Organization;
  }

  async createSpace(orgGuid: string, name = uniqueName('space'), as?: AuthHeaders): Promise<Space> {
    const response = await this.post('/v3/spaces', { name, relationships: { organization: { data: { guid: orgGuid } } } }, as);
    expect(response.status, response.text).to.equal(201);
    return response.body as Space;
  }

  /** Gives `userName` a role, as the admin. */
  async grant(userName: string, type: RoleType, target: RoleTarget): Promise<Role> {
    const response = await this.post('/v3/roles', roleRequest(type, { username: userName }, target));
    expect(response.status, response.text).to.equal(201);
    return response.body as Role;
  }

  /** Polls a job (by its absolute `Location`) until it is no longer PROCESSING; answers every state seen and the last job. */
  async pollJob(location: string, as?: AuthHeaders): Promise<{ job: Job; states: string[] }> {
    expect(location.startsWith(`${this.server.externalUrl}/v3/jobs/`), location).to.equal(true);
    const path = location.slice(this.server.externalUrl.length);
    const deadline = Date.now() + jobDeadlineMs;
    const states: string[] = [];
    for (;;) {
      const response = await this.get(path, as);
      expect(response.status, response.text).to.equal(200);
      const job = response.body as Job;
      states.push(job.state);
      if (job.state !== 'PROCESSING' || Date.now() > deadline) return { job, states };
      await new Promise((resolve) => setTimeout(resolve, jobPollMs));
    }
  }

  /** Deletes a resource, checks the 202 and its job `Location`, and waits for the job to finish. */
  async deleteAndWait(path: string, operation: string, guid: string): Promise<{ job: Job; states: string[] }> {
    const response = await this.delete(path);
    expect(response.status, response.text).to.equal(202);
    expect(response.headers.get('location')).to.equal(this.url(`/v3/jobs/${operation}~${guid}`));
    return this.pollJob(response.headers.get('location') ?? '');
  }
}

/** A role create request body, as the cf CLI sends it. */
export function roleRequest(type: RoleType, user: { username: string } | { guid: string }, target: RoleTarget) {
  const relationship =
    'organization' in target ? { organization: { data: { guid: target.organization } } } : { space: { data: { guid: target.space } } };
  return { type, relationships: { user: { data: user }, ...relationship } };
}
