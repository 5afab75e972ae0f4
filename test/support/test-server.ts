import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parse as parseYaml } from 'yaml';
import { createApp } from '../../src/app.ts';
import type { ControlPlane } from '../../scripts/control-plane/control-plane.ts';
import { openLocalIdentity } from '../../src/auth/embedded/local-identity.ts';
import { openBackend } from '../../src/backends/open-backend.ts';
import type { Config } from '../../src/config/schema.ts';
import { runtimeOf } from '../../src/runtime.ts';
import { newRoleBinding } from '../../src/domain/roles/role-binding.ts';
import type { Store } from '../../src/store/port.ts';
import type { BitsStore } from '../../src/bits/bits-store.ts';
import { uniqueName } from '../store/fixture.ts';
import { sharedControlPlane } from './control-plane.ts';
import type { Authenticator } from '../../src/auth/identity.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { ConfigInput } from '../../src/config/schema.ts';
import { loadDocument } from '../../src/http/openapi-document.ts';
import type { HandlerMap } from '../../src/http/operation.ts';
import type { LogSource } from '../../src/log-cache/log-source.ts';
import { createLogger } from '../../src/logger.ts';
import { Lifecycle } from '../../src/observability/lifecycle.ts';
import { startServer } from '../../src/server.ts';
import { ContractChecker } from './contract.ts';
import { contractCoverage } from './contract-coverage.ts';

export type UserCredentials = { name: string; token: string; certificatePem: string; privateKeyPem: string };

export type TestResponse = { status: number; headers: Headers; body: unknown; text: string };

export type TestServer = {
  backend: 'embedded' | 'kubernetes';
  /** Where the server listens; requests go here. */
  url: string;
  /** The configured external URL; links and Location headers use it. */
  externalUrl: string;
  dataDir: string;
  kubeconfigPath: string;
  /** A user holding the CF admin role. */
  admin: UserCredentials;
  /** A new user the backend authenticates, with no CF role. */
  newUser: (name: string) => Promise<UserCredentials>;
  config: Config;
  /** The backend's store, for looking behind the API in tests. */
  store: Store;
  /** Where the server keeps package bits, for looking behind the API in tests. */
  bits: BitsStore;
  /** Log lines the server wrote, parsed. */
  logs: Record<string, unknown>[];
  /** The server's lifecycle: `startDraining()` makes it drain as on SIGTERM (`/readyz` fails). */
  lifecycle: Lifecycle;
  /** Sends a request and checks the response against the OpenAPI document before returning it. */
  request: (path: string, init?: RequestInit) => Promise<TestResponse>;
  stop: () => Promise<void>;
};

let checker: Promise<ContractChecker> | undefined;

/** Starts a real server in this process on a free port, with a fresh data directory (and, on Kubernetes, its own root namespace). */
export async function startTestServer(
  options: {
    backend?: 'embedded' | 'kubernetes';
    config?: ConfigInput;
    authenticator?: Authenticator;
    handlers?: HandlerMap;
    /** Puts something in front of the backend's log source (a source that fails, for one). */
    wrapLogSource?: (source: LogSource) => LogSource;
  } = {},
): Promise<TestServer> {
  const backendName = options.backend ?? 'embedded';
  const dataDir = await mkdtemp(join(tmpdir(), 'cf-api-test-'));
  const controlPlane = backendName === 'kubernetes' ? await sharedControlPlane() : undefined;
  const config = validateConfig({
    externalUrl: 'https://api.example.test',
    logLevel: 'debug',
    // Suites choose a runtime when they stage or run apps (most take `scripted`); the local one runs
    // real processes, so it is only there for the suites that ask for it, and its router on a free port.
    appRuntime: 'none',
    router: { port: 0 },
    ...(controlPlane
      ? {
          backend: 'kubernetes',
          kubernetes: { kubeconfig: controlPlane.kubeconfigFile },
          rootNamespace: uniqueName('cf'),
          reconcilers: true,
        }
      : {}),
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
  const logger = createLogger('debug', sink);
  const backend = await openBackend(config, logger);
  const users = controlPlane ? kubernetesUsers(controlPlane, backend.store, config.rootNamespace) : await embeddedUsers(dataDir);
  const lifecycle = new Lifecycle();
  const app = createApp({
    document: await loadDocument(),
    runtime: runtimeOf(config, options.wrapLogSource ? { ...backend, logSource: options.wrapLogSource(backend.logSource) } : backend),
    authenticator: options.authenticator ?? backend.authenticator,
    logger,
    lifecycle,
    metrics: backend.metrics,
    ...(options.handlers ? { handlers: options.handlers } : {}),
  });
  const running = await startServer(app, config);
  const request = (path: string, init: RequestInit = {}) => contractFetch(running.url, path, init);
  return {
    backend: backendName,
    url: running.url,
    externalUrl: config.externalUrl,
    dataDir,
    kubeconfigPath: join(dataDir, 'kubeconfig'),
    admin: await users.admin(),
    newUser: users.newUser,
    config,
    store: backend.store,
    bits: backend.bits,
    logs,
    lifecycle,
    request,
    stop: async () => {
      await running.stop();
      await backend.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

type TestUsers = { admin: () => Promise<UserCredentials>; newUser: (name: string) => Promise<UserCredentials> };

/** Embedded users live in the data directory: the first one is the CF admin the server made at start. */
async function embeddedUsers(dataDir: string): Promise<TestUsers> {
  const identity = await openLocalIdentity(dataDir);
  return {
    admin: () => readKubeconfigUser(identity.kubeconfigPath, 'admin'),
    newUser: async (name) => {
      await identity.addUser(name);
      return readKubeconfigUser(identity.kubeconfigPath, name);
    },
  };
}

/** Kubernetes users have certificates from the control plane's CA; the admin gets the CF admin role in this server's root namespace. */
function kubernetesUsers(controlPlane: ControlPlane, store: Store, rootNamespace: string): TestUsers {
  const newUser = async (name: string) => ({ name, token: '', ...(await controlPlane.issueUser(name)) });
  return {
    admin: async () => {
      const admin = await newUser(uniqueName('cf-admin'));
      await store.privileged().create(newRoleBinding('admin', admin.name, rootNamespace));
      return admin;
    },
    newUser,
  };
}

/**
 * Sends a request to a server and checks the response against the OpenAPI document (status, schema,
 * required headers) before returning it; a response that breaks the contract fails the test.
 */
export async function contractFetch(baseUrl: string, path: string, init: RequestInit = {}): Promise<TestResponse> {
  const contract = await (checker ??= ContractChecker.load({ coverage: contractCoverage }));
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
    suite.admin = authHeaders.forUser(suite.server.admin);
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
  /** The bearer token when the user has one (embedded users), else the client certificate. */
  forUser: (user: UserCredentials) => (user.token === '' ? authHeaders.clientCert(user) : authHeaders.bearer(user)),
  bearer: (user: UserCredentials) => ({ Authorization: `Bearer ${user.token}` }),
  clientCert: (user: UserCredentials) => ({
    Authorization: `ClientCert ${Buffer.from(user.certificatePem + user.privateKeyPem).toString('base64')}`,
  }),
};
