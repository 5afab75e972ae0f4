import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { CertificateAuthority } from '../../src/auth/certificate-authority.ts';
import { freePort, startProcess, stopProcess, waitUntilReady } from '../../scripts/control-plane/processes.ts';
import { startTokenServer, tokenIssuer, tokenService } from './registry-token-server.ts';

/** Debian's `docker-registry` package (distribution 2.8); `.ci/run` installs it with `apache2-utils` (htpasswd). */
const registryBinary = process.env['CFAPI_REGISTRY_BINARY'] ?? '/usr/bin/docker-registry';
const htpasswdBinary = process.env['CFAPI_HTPASSWD_BINARY'] ?? 'htpasswd';

/**
 * A real registry on loopback: HTTPS with a certificate from its own test CA; users authenticate with
 * HTTP basic against an htpasswd file, or (`auth: 'token'`) with bearer tokens from a token server
 * of Docker's token API that checks the same user name and password.
 */
export type TestRegistry = {
  /** `127.0.0.1:<port>`, the host part of image references. */
  host: string;
  url: string;
  /** PEM of the CA that signed the registry's certificate. */
  caPem: string;
  username: string;
  password: string;
  /** The registry process's id. */
  pid: number;
  stop(): Promise<void>;
};

/**
 * Starts the registry binary with a configuration written here (filesystem storage in a temporary
 * directory, deletes allowed), waits until `/v2/` answers with an authentication challenge, and
 * gives back how to reach it. A missing binary fails the suite with a message saying how to get it.
 */
export async function startTestRegistry(options: { auth?: 'htpasswd' | 'token' } = {}): Promise<TestRegistry> {
  const dir = await mkdtemp(join(tmpdir(), 'cfapi-registry-'));
  let stopTokenServer = (): Promise<void> => Promise.resolve();
  let stopRegistry = (): Promise<void> => Promise.resolve();
  try {
    const ca = await CertificateAuthority.loadOrCreate(join(dir, 'ca'), 'cfapi test registry CA');
    const serving = await ca.issueServerCertificate('127.0.0.1', { ip: ['127.0.0.1'], dns: ['localhost'] });
    await writeFile(join(dir, 'tls.crt'), serving.certificatePem);
    await writeFile(join(dir, 'tls.key'), serving.privateKeyPem, { mode: 0o600 });

    const username = 'cfapi-pusher';
    const password = randomBytes(12).toString('hex');
    await writeFile(join(dir, 'htpasswd'), await htpasswdLine(username, password));

    const port = await freePort();
    let auth: object = { htpasswd: { realm: 'cfapi-test-registry', path: join(dir, 'htpasswd') } };
    let tokenServer: Server | undefined;
    if (options.auth === 'token') {
      const tokenPort = await freePort();
      tokenServer = await startTokenServer(ca, serving, tokenPort, { username, password });
      stopTokenServer = () => new Promise((resolve) => tokenServer!.close(() => resolve()));
      auth = {
        token: {
          realm: `https://127.0.0.1:${tokenPort}/token`,
          service: tokenService,
          issuer: tokenIssuer,
          rootcertbundle: join(dir, 'ca', 'ca.crt'),
        },
      };
    }
    await writeFile(join(dir, 'config.yml'), stringify(registryConfig(dir, port, auth)));
    const registry = startProcess('docker-registry', registryBinary, ['serve', join(dir, 'config.yml')], join(dir, 'registry.log'));
    registry.exited.then(
      (code) => code === -1 && process.stderr.write(`  [${registryBinary} could not be run: install Debian's docker-registry package]\n`),
      () => undefined,
    );
    // A test process that dies (an uncaught error) takes its registry with it instead of orphaning it.
    const killOnExit = (): boolean => registry.child.kill('SIGKILL');
    process.once('exit', killOnExit);
    stopRegistry = async () => {
      process.off('exit', killOnExit);
      await stopProcess(registry);
    };
    const host = `127.0.0.1:${port}`;
    await waitUntilReady(registry, async () => (await v2Status(host, ca.certificatePem)) === 401, 30_000);
    return {
      host,
      url: `https://${host}`,
      caPem: ca.certificatePem,
      username,
      password,
      pid: registry.child.pid!,
      async stop() {
        await stopRegistry();
        await stopTokenServer();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopRegistry();
    await stopTokenServer();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

function registryConfig(dir: string, port: number, auth: object): object {
  return {
    version: 0.1,
    log: { level: 'warn', accesslog: { disabled: true } },
    storage: { filesystem: { rootdirectory: join(dir, 'data') }, delete: { enabled: true } },
    http: {
      addr: `127.0.0.1:${port}`,
      secret: randomBytes(16).toString('hex'),
      tls: { certificate: join(dir, 'tls.crt'), key: join(dir, 'tls.key') },
    },
    auth,
  };
}

/** distribution accepts only bcrypt entries; `htpasswd -B` writes one. */
async function htpasswdLine(username: string, password: string): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(htpasswdBinary, ['-nbB', username, password]);
    return stdout.trim() + '\n';
  } catch (error) {
    throw new Error(`htpasswd (Debian's apache2-utils) is needed to start the test registry: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function v2Status(host: string, caPem: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`https://${host}/v2/`, { ca: caPem, timeout: 2_000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
