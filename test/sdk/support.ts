import { execFile } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { createCfClient, type CfClient, type CfClientOptions } from '../../sdk/src/index.ts';
import { ContractChecker } from '../support/contract.ts';
import { contractCoverage } from '../support/contract-coverage.ts';
import type { TestServer } from '../support/test-server.ts';

export const run = promisify(execFile);
export const repositoryRoot = new URL('../../', import.meta.url).pathname;

let checker: Promise<ContractChecker> | undefined;

/**
 * A fetch for the SDK under test that checks every response against the OpenAPI document, as the
 * other suites' contractFetch does (counted in the contract coverage), and records the requests it sent.
 */
export function checkedFetch(sent: Request[] = []): (request: Request) => Promise<Response> {
  return async (request) => {
    sent.push(request.clone());
    const response = await fetch(request);
    const contract = await (checker ??= ContractChecker.load({ coverage: contractCoverage }));
    const text = await response.clone().text();
    const isJson = (response.headers.get('content-type') ?? '').includes('json');
    const body = text === '' ? undefined : isJson ? (JSON.parse(text) as unknown) : text;
    const problems = contract.check({
      method: request.method,
      path: new URL(request.url).pathname,
      status: response.status,
      headers: response.headers,
      body,
    });
    if (problems.length > 0) throw new Error(`Response breaks the OpenAPI contract:\n${problems.join('\n')}`);
    return response;
  };
}

/** An SDK client of a test server, its responses checked against the document. */
export function sdkClient(server: TestServer, options: Omit<CfClientOptions, 'baseUrl'> = {}, sent: Request[] = []): CfClient {
  return createCfClient({ fetch: checkedFetch(sent), ...options, baseUrl: server.url });
}

/**
 * Writes a kubeconfig as a cluster's would look to the cf CLI: a fake cluster, a current context, and
 * the user's certificate and key either inline (`-data`) or as files beside the kubeconfig.
 */
export async function writeKubeconfig(
  user: { name: string; certificatePem: string; privateKeyPem: string; token?: string },
  form: 'data' | 'files',
): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cfapi-sdk-kubeconfig-'));
  let entry: Record<string, string>;
  if (form === 'data') {
    entry = {
      'client-certificate-data': Buffer.from(user.certificatePem).toString('base64'),
      'client-key-data': Buffer.from(user.privateKeyPem).toString('base64'),
    };
  } else {
    await writeFile(join(dir, 'user.crt'), user.certificatePem);
    await writeFile(join(dir, 'user.key'), user.privateKeyPem, { mode: 0o600 });
    entry = { 'client-certificate': 'user.crt', 'client-key': 'user.key' };
  }
  if (user.token) entry['token'] = user.token;
  const path = join(dir, 'kubeconfig');
  await writeFile(
    path,
    stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'fake', cluster: { server: 'https://not-a-cluster.invalid' } }],
      contexts: [
        { name: 'other', context: { cluster: 'fake', user: 'nobody' } },
        { name: 'main', context: { cluster: 'fake', user: user.name } },
      ],
      'current-context': 'main',
      users: [
        { name: 'nobody', user: { token: 'not-a-real-token' } },
        { name: user.name, user: entry },
      ],
    }),
    { mode: 0o600 },
  );
  return path;
}
