import { execFile } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { KubeConfig } from '@kubernetes/client-node';
import type { ClientKeyType, KeyPair } from '../../src/auth/certificate-authority.ts';
import { loadClusterRoleManifests } from '../../src/domain/roles/cluster-role-manifests.ts';
import { installClusterRoles } from '../../src/store/kubernetes/install-cluster-roles.ts';
import { installCrds } from '../../src/store/kubernetes/install-crds.ts';
import { preparePki, type ControlPlanePki, type TokenUser } from './pki.ts';
import { freePort, startProcess, stopProcess, waitUntilReady, type ManagedProcess } from './processes.ts';

const buildScript = join(import.meta.dirname, 'build-binaries.sh');
const readyTimeoutMs = 180_000;

export type ControlPlaneOptions = {
  /** Where PKI, etcd data, logs and the kubeconfig go; reused when it exists. */
  stateDir: string;
  /** Fixed ports (the local-development default); tests let the kernel pick free ones. */
  ports?: { apiserver: number; etcdClient: number; etcdPeer: number; controllerManager: number };
  /** kube-controller-manager runs namespace deletion and ownerReference garbage collection. */
  controllerManager?: boolean;
};

export type ControlPlane = {
  server: string;
  stateDir: string;
  pki: ControlPlanePki;
  /** A kubeconfig whose current context is the admin (`system:masters`); token users have contexts too. */
  kubeconfigFile: string;
  tokenUsers: TokenUser[];
  /** A client certificate for any user and groups, accepted at once (no restart). */
  issueUser(name: string, groups?: string[], keyType?: ClientKeyType): Promise<KeyPair>;
  stop(): Promise<void>;
};

/**
 * Starts etcd, kube-apiserver (RBAC on) and, by default, kube-controller-manager on loopback, built
 * from the Go module proxy and cached outside the repository (`build-binaries.sh`), and installs our
 * CRDs. Resolves once all of it is ready.
 */
export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const binDir = await buildBinaries();
  await mkdir(options.stateDir, { recursive: true });
  const pki = await preparePki(join(options.stateDir, 'pki'));
  const ports = options.ports ?? {
    apiserver: await freePort(),
    etcdClient: await freePort(),
    etcdPeer: await freePort(),
    controllerManager: await freePort(),
  };
  const server = `https://127.0.0.1:${ports.apiserver}`;
  const started: ManagedProcess[] = [];
  const stopAll = async () => {
    for (const process of started.reverse()) await stopProcess(process);
  };
  try {
    const etcd = startProcess('etcd', join(binDir, 'etcd'), etcdArgs(options.stateDir, ports), join(options.stateDir, 'etcd.log'));
    started.push(etcd);
    await waitUntilReady(etcd, () => httpOk(`http://127.0.0.1:${ports.etcdClient}/health`), readyTimeoutMs);
    const apiserver = startProcess(
      'kube-apiserver',
      join(binDir, 'kube-apiserver'),
      apiserverArgs(pki, ports),
      join(options.stateDir, 'kube-apiserver.log'),
    );
    started.push(apiserver);
    const admin = pki.files('admin');
    const adminTls = { ca: await readFile(pki.caFile), cert: await readFile(admin.certFile), key: await readFile(admin.keyFile) };
    await waitUntilReady(apiserver, () => httpOk(`${server}/readyz`, adminTls), readyTimeoutMs);
    const kubeconfigFile = join(options.stateDir, 'kubeconfig');
    await writeFile(kubeconfigFile, kubeconfig(server, pki), { mode: 0o600 });
    // Before the controller manager starts, so its garbage collector sees our kinds at once
    // (it looks for new resource types only every 30 s).
    const adminConfig = new KubeConfig();
    adminConfig.loadFromFile(kubeconfigFile);
    await installCrds(adminConfig);
    // What `npm run crds:install` installs besides the CRDs: the CF roles' ClusterRoles.
    await installClusterRoles(adminConfig, await loadClusterRoleManifests());
    if (options.controllerManager !== false) {
      const kcmConfig = join(options.stateDir, 'controller-manager.kubeconfig');
      await writeFile(kcmConfig, kubeconfig(server, pki, 'controller-manager'), { mode: 0o600 });
      const kcm = startProcess(
        'kube-controller-manager',
        join(binDir, 'kube-controller-manager'),
        controllerManagerArgs(kcmConfig, options.stateDir, ports.controllerManager, pki),
        join(options.stateDir, 'kube-controller-manager.log'),
      );
      started.push(kcm);
      await waitUntilReady(
        kcm,
        () => httpOk(`https://127.0.0.1:${ports.controllerManager}/healthz`, { rejectUnauthorized: false }),
        readyTimeoutMs,
      );
    }
    return {
      server,
      stateDir: options.stateDir,
      pki,
      kubeconfigFile,
      tokenUsers: pki.tokenUsers,
      issueUser: (name, groups = [], keyType = 'ec-p256') => pki.ca.issueClientCertificate(name, { groups, keyType }),
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Removes a control plane's state (etcd data, PKI, logs). */
export async function removeState(stateDir: string): Promise<void> {
  await rm(stateDir, { recursive: true, force: true });
}

async function buildBinaries(): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)('bash', [buildScript], { maxBuffer: 64 * 1024 * 1024 });
    return stdout.trim().split('\n').at(-1) ?? '';
  } catch (error) {
    const { stderr } = error as { stderr?: string };
    const tail = stderr?.split('\n').slice(-20).join('\n') ?? String(error);
    throw new Error(`could not build the control-plane binaries (${buildScript}):\n${tail}`, { cause: error });
  }
}

function etcdArgs(stateDir: string, ports: { etcdClient: number; etcdPeer: number }): string[] {
  const client = `http://127.0.0.1:${ports.etcdClient}`;
  const peer = `http://127.0.0.1:${ports.etcdPeer}`;
  return [
    `--data-dir=${join(stateDir, 'etcd')}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=default=${peer}`,
    '--unsafe-no-fsync', // test data: speed over durability
    '--log-level=warn',
  ];
}

function apiserverArgs(pki: ControlPlanePki, ports: { apiserver: number; etcdClient: number }): string[] {
  const serving = pki.files('apiserver');
  return [
    `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1', // without it the apiserver looks for a default route
    `--secure-port=${ports.apiserver}`,
    `--tls-cert-file=${serving.certFile}`,
    `--tls-private-key-file=${serving.keyFile}`,
    `--client-ca-file=${pki.caFile}`,
    `--token-auth-file=${pki.tokensFile}`,
    '--authorization-mode=RBAC',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki.serviceAccountPublicKeyFile}`,
    `--service-account-signing-key-file=${pki.serviceAccountKeyFile}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--disable-admission-plugins=ServiceAccount', // no pods here, and no controller makes default service accounts
    '--endpoint-reconciler-type=none', // loopback endpoints for default/kubernetes would fail validation
    `--cert-dir=${pki.directory}`,
    '--profiling=false',
    '--v=1',
  ];
}

/**
 * Besides namespace deletion and garbage collection, the controllers that make users as a real cluster
 * does: CSR signing (approved `kubernetes.io/kube-apiserver-client` requests are signed with the CA the
 * apiserver trusts) and service-account token Secrets (signed with the key the apiserver verifies).
 */
function controllerManagerArgs(kubeconfigFile: string, stateDir: string, port: number, pki: ControlPlanePki): string[] {
  const controllers = [
    'namespace-controller',
    'garbage-collector-controller',
    'clusterrole-aggregation-controller',
    'certificatesigningrequest-signing-controller',
    'serviceaccount-token-controller',
  ];
  return [
    `--kubeconfig=${kubeconfigFile}`,
    `--controllers=${controllers.join(',')}`,
    `--cluster-signing-cert-file=${pki.caFile}`,
    `--cluster-signing-key-file=${pki.caKeyFile}`,
    `--root-ca-file=${pki.caFile}`,
    `--service-account-private-key-file=${pki.serviceAccountKeyFile}`,
    '--use-service-account-credentials=false',
    '--leader-elect=false',
    '--bind-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${join(stateDir, 'controller-manager-certs')}`,
    '--v=1',
  ];
}

function kubeconfig(server: string, pki: ControlPlanePki, certificateUser = 'admin'): string {
  const cert = pki.files(certificateUser);
  const users = [
    { name: certificateUser, user: { 'client-certificate': cert.certFile, 'client-key': cert.keyFile } },
    ...pki.tokenUsers.map((user) => ({ name: user.name, user: { token: user.token } })),
  ];
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'cfapi-local', cluster: { server, 'certificate-authority': pki.caFile } }],
    users,
    contexts: users.map(({ name }) => ({ name, context: { cluster: 'cfapi-local', user: name } })),
    'current-context': certificateUser,
  });
}

type TlsOptions = { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean };

async function httpOk(url: string, tls: TlsOptions = {}): Promise<boolean> {
  const { get } = url.startsWith('https:') ? https : http;
  return new Promise((resolve) => {
    const request = get(url, { ...tls, timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.on('error', () => resolve(false));
    request.on('timeout', () => request.destroy());
  });
}
