import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CertificateAuthority, type KeyPair } from '../../src/auth/certificate-authority.ts';

/** A user the apiserver knows by a static bearer token (`--token-auth-file`, fixed at start). */
export type TokenUser = { name: string; token: string; groups: string[] };

export type ControlPlanePki = {
  directory: string;
  ca: CertificateAuthority;
  caFile: string;
  /** The CA's key: kube-controller-manager signs approved client-certificate requests with it. */
  caKeyFile: string;
  /** Files of a certificate pair, by name: apiserver, admin, controller-manager. */
  files: (name: string) => { certFile: string; keyFile: string };
  serviceAccountKeyFile: string;
  serviceAccountPublicKeyFile: string;
  tokensFile: string;
  tokenUsers: TokenUser[];
};

/** The fixed personas with bearer tokens; certificate users can be issued at any time. */
const tokenPersonas = [
  { name: 'token-alice', groups: ['cf-users'] },
  { name: 'token-bob', groups: [] },
];

/**
 * The control plane's PKI in `directory`, created once and reused: one CA signs the apiserver's
 * serving certificate and every client certificate (CN = user, O = groups); an admin in
 * `system:masters` (which RBAC never denies) for the harness and the server's privileged client.
 */
export async function preparePki(directory: string): Promise<ControlPlanePki> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const ca = await CertificateAuthority.loadOrCreate(directory, 'cfapi control plane CA');
  const files = (name: string) => ({ certFile: join(directory, `${name}.crt`), keyFile: join(directory, `${name}.key`) });
  await ensurePair(files('apiserver'), () =>
    ca.issueServerCertificate('kube-apiserver', {
      dns: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local'],
      ip: ['127.0.0.1', '10.0.0.1'],
    }),
  );
  await ensurePair(files('admin'), () => ca.issueClientCertificate('cfapi-admin', { groups: ['system:masters'] }));
  await ensurePair(files('controller-manager'), () =>
    ca.issueClientCertificate('system:kube-controller-manager', { groups: ['system:masters'] }),
  );
  const serviceAccount = { certFile: join(directory, 'service-account.pub'), keyFile: join(directory, 'service-account.key') };
  await ensurePair(serviceAccount, async () => {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    return {
      certificatePem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    };
  });
  const tokensFile = join(directory, 'tokens.csv');
  const tokenUsers = await ensureTokens(tokensFile);
  return {
    directory,
    ca,
    caFile: join(directory, 'ca.crt'),
    caKeyFile: join(directory, 'ca.key'),
    files,
    serviceAccountKeyFile: serviceAccount.keyFile,
    serviceAccountPublicKeyFile: serviceAccount.certFile,
    tokensFile,
    tokenUsers,
  };
}

async function ensurePair(target: { certFile: string; keyFile: string }, create: () => Promise<KeyPair>): Promise<void> {
  if (await exists(target.certFile)) return;
  const pair = await create();
  await writeFile(target.keyFile, pair.privateKeyPem, { mode: 0o600 });
  await writeFile(target.certFile, pair.certificatePem);
}

async function ensureTokens(file: string): Promise<TokenUser[]> {
  if (!(await exists(file))) {
    const lines = tokenPersonas.map(({ name, groups }) => {
      const row = [randomBytes(24).toString('hex'), name, `uid-${name}`];
      return (groups.length > 0 ? [...row, `"${groups.join(',')}"`] : row).join(',');
    });
    await writeFile(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  }
  return (await readFile(file, 'utf8'))
    .trim()
    .split('\n')
    .map((line) => {
      const [token = '', name = '', , groups = ''] = line.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/);
      return { token, name, groups: groups.replaceAll('"', '').split(',').filter(Boolean) };
    });
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
