import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { createApp } from '../../src/app.ts';
import { openLocalIdentity } from '../../src/auth/embedded/local-identity.ts';
import type { Authenticator } from '../../src/auth/identity.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { loadDocument } from '../../src/http/openapi-document.ts';
import type { HandlerMap } from '../../src/http/operation.ts';
import { createLogger } from '../../src/logger.ts';
import { startServer } from '../../src/server.ts';
import { ContractChecker } from './contract.ts';

export type UserCredentials = { name: string; token: string; certificatePem: string; privateKeyPem: string };

export type TestResponse = { status: number; headers: Headers; body: unknown; text: string };

export type TestServer = {
  /** Where the server listens; requests go here. */
  url: string;
  /** The configured external URL; links and Location headers use it. */
  externalUrl: string;
  dataDir: string;
  kubeconfigPath: string;
  admin: UserCredentials;
  /** Log lines the server wrote, parsed. */
  logs: Record<string, unknown>[];
  /** Sends a request and checks the response against the OpenAPI document before returning it. */
  request: (path: string, init?: RequestInit) => Promise<TestResponse>;
  stop: () => Promise<void>;
};

let checker: Promise<ContractChecker> | undefined;

/** Starts a real server in this process on a free port, with a fresh data directory. */
export async function startTestServer(
  options: { config?: ConfigInput; authenticator?: Authenticator; handlers?: HandlerMap } = {},
): Promise<TestServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cf-api-test-'));
  const config = validateConfig({
    externalUrl: 'https://api.example.test',
    logLevel: 'debug',
    ...options.config,
    listen: { host: '127.0.0.1', port: 0 },
    dataDir,
  });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const identity = await openLocalIdentity(dataDir, config.externalUrl);
  const app = createApp({
    document: await loadDocument(),
    runtime: { config, startedAt: new Date() },
    authenticator: options.authenticator ?? identity.authenticator,
    logger: createLogger('debug', sink),
    ...(options.handlers ? { handlers: options.handlers } : {}),
  });
  const running = await startServer(app, config);
  const request = (path: string, init: RequestInit = {}) => contractFetch(running.url, path, init);
  return {
    url: running.url,
    externalUrl: config.externalUrl,
    dataDir,
    kubeconfigPath: identity.kubeconfigPath,
    admin: await readKubeconfigUser(identity.kubeconfigPath, 'admin'),
    logs,
    request,
    stop: async () => {
      await running.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Sends a request to a server and checks the response against the OpenAPI document (status, schema,
 * required headers) before returning it; a response that breaks the contract fails the test.
 */
export async function contractFetch(baseUrl: string, path: string, init: RequestInit = {}): Promise<TestResponse> {
  const contract = await (checker ??= ContractChecker.load());
  const response = await fetch(`${baseUrl}${path}`, init);
  const text = await response.text();
  const isJson = (response.headers.get('content-type') ?? '').includes('json');
  const body = text === '' ? undefined : isJson ? (JSON.parse(text) as unknown) : text;
  const method = (init.method ?? 'GET').toUpperCase();
  const pathname = new URL(path, baseUrl).pathname;
  const problems = contract.check({ method, path: pathname, status: response.status, headers: response.headers, body });
  if (problems.length > 0) throw new Error(`Response breaks the OpenAPI contract:\n${problems.join('\n')}`);
  return { status: response.status, headers: response.headers, body, text };
}

/** A server for a mocha suite: started before its tests, stopped after; `admin` holds the admin's bearer header. */
export type SuiteServer = { server: TestServer; admin: Record<string, string> };

/** Registers the suite's before/after hooks; the returned object is filled in when the suite starts. */
export function serverForSuite(options: Parameters<typeof startTestServer>[0] = {}): SuiteServer {
  const suite = {} as SuiteServer;
  before(async () => {
    suite.server = await startTestServer(options);
    suite.admin = authHeaders.bearer(suite.server.admin);
  });
  after(() => suite.server.stop());
  return suite;
}

type KubeconfigFile = { users: { name: string; user: Record<string, string> }[] };

/** Reads a user's credentials back out of a kubeconfig the server wrote. */
export async function readKubeconfigUser(kubeconfigPath: string, name: string): Promise<UserCredentials> {
  const config = parseYaml(await readFile(kubeconfigPath, 'utf8')) as KubeconfigFile;
  const entry = config.users.find((user) => user.name === name);
  if (!entry) throw new Error(`No user ${name} in ${kubeconfigPath}`);
  const decode = (value: string | undefined) => Buffer.from(value ?? '', 'base64').toString('utf8');
  return {
    name,
    token: entry.user['token'] ?? '',
    certificatePem: decode(entry.user['client-certificate-data']),
    privateKeyPem: decode(entry.user['client-key-data']),
  };
}

/** `Authorization` header values the cf CLI would send for a user. */
export const authHeaders = {
  bearer: (user: UserCredentials) => ({ Authorization: `Bearer ${user.token}` }),
  clientCert: (user: UserCredentials) => ({
    Authorization: `ClientCert ${Buffer.from(user.certificatePem + user.privateKeyPem).toString('base64')}`,
  }),
};
