// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { createPrivateKey, webcrypto } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import * as x509 from '@peculiar/x509';
import type { KeyPair } from '../../src/auth/certificate-authority.ts';
import type { RestClient } from '../../src/store/kubernetes/rest-client.ts';

const waitMs = 30_000;

type Csr = { status?: { certificate?: string } };
type Secret = { data?: { token?: string } };

/**
 * Makes a certificate user as a cluster admin does: a CertificateSigningRequest for the
 * `kube-apiserver-client` signer, approved, then signed by kube-controller-manager. `admin` is a
 * client with the rights to create and approve CSRs.
 */
export async function requestCertificateUser(admin: RestClient, name: string, groups: readonly string[] = []): Promise<KeyPair> {
  const keys = await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
  const subject = new x509.Name([...groups.map((group) => ({ O: [group] })), { CN: [name] }]).toString();
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subject,
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  const csrName = `${name}-${Date.now()}`;
  const path = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
  await admin.request({
    method: 'POST',
    path,
    body: {
      apiVersion: 'certificates.k8s.io/v1',
      kind: 'CertificateSigningRequest',
      metadata: { name: csrName },
      spec: {
        request: Buffer.from(request.toString('pem')).toString('base64'),
        signerName: 'kubernetes.io/kube-apiserver-client',
        usages: ['client auth'],
      },
    },
  });
  const approval = {
    apiVersion: 'certificates.k8s.io/v1',
    kind: 'CertificateSigningRequest',
    metadata: { name: csrName },
    status: { conditions: [{ type: 'Approved', status: 'True', reason: 'TestUser', message: 'approved by the test harness' }] },
  };
  await admin.request({ method: 'PUT', path: `${path}/${csrName}/approval`, body: approval });
  const certificate = await poll(`the signed certificate of CSR ${csrName}`, async () => {
    const csr = await admin.request<Csr>({ method: 'GET', path: `${path}/${csrName}` });
    return csr.status?.certificate;
  });
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return {
    certificatePem: Buffer.from(certificate, 'base64').toString('utf8'),
    privateKeyPem: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString(),
  };
}

/**
 * Makes a service-account user as a cluster admin does: the ServiceAccount and a
 * `kubernetes.io/service-account-token` Secret, whose token kube-controller-manager fills in. The user
 * is `system:serviceaccount:<namespace>:<name>`.
 */
export async function createServiceAccountUser(
  admin: RestClient,
  namespace: string,
  name: string,
): Promise<{ username: string; token: string }> {
  await admin.request({
    method: 'POST',
    path: `/api/v1/namespaces/${namespace}/serviceaccounts`,
    body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } },
  });
  const secretName = `${name}-token`;
  await admin.request({
    method: 'POST',
    path: `/api/v1/namespaces/${namespace}/secrets`,
    body: {
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/service-account-token',
      metadata: { name: secretName, annotations: { 'kubernetes.io/service-account.name': name } },
    },
  });
  const token = await poll(`the token of Secret ${namespace}/${secretName}`, async () => {
    const secret = await admin.request<Secret>({ method: 'GET', path: `/api/v1/namespaces/${namespace}/secrets/${secretName}` });
    return secret.data?.token;
  });
  return { username: `system:serviceaccount:${namespace}:${name}`, token: Buffer.from(token, 'base64').toString('utf8') };
}

async function poll<T>(what: string, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const value = await read();
    if (value !== undefined && value !== '') return value;
    if (Date.now() > deadline) throw new Error(`kube-controller-manager did not provide ${what} within ${waitMs / 1000} s`);
    await sleep(200);
  }
}
