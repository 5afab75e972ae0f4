// @peculiar/x509 resolves its ASN.1 schemas through tsyringe, which needs the Reflect metadata API.
import 'reflect-metadata';
import { webcrypto, X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const keyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;
const dayMs = 24 * 60 * 60 * 1000;

/** A PEM certificate with its PKCS#8 PEM private key. */
export type KeyPair = { certificatePem: string; privateKeyPem: string };

/** The local certificate authority that signs the embedded backend's user certificates. */
export class CertificateAuthority {
  readonly certificatePem: string;
  readonly certificate: X509Certificate;
  readonly #subject: string;
  readonly #privateKey: webcrypto.CryptoKey;

  private constructor(certificatePem: string, privateKey: webcrypto.CryptoKey) {
    this.certificatePem = certificatePem;
    this.certificate = new X509Certificate(certificatePem);
    this.#subject = new x509.X509Certificate(certificatePem).subject;
    this.#privateKey = privateKey;
  }

  /** Loads `ca.crt`/`ca.key` from the directory, creating a new CA there on first use. */
  static async loadOrCreate(directory: string): Promise<CertificateAuthority> {
    const certFile = join(directory, 'ca.crt');
    const keyFile = join(directory, 'ca.key');
    try {
      const [certificatePem, privateKeyPem] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
      return new CertificateAuthority(certificatePem, await importSigningKey(privateKeyPem));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const created = await createSelfSignedCa();
    await mkdir(directory, { recursive: true, mode: 0o700 });
    await writeFile(keyFile, created.privateKeyPem, { mode: 0o600 });
    await writeFile(certFile, created.certificatePem, { mode: 0o644 });
    return new CertificateAuthority(created.certificatePem, await importSigningKey(created.privateKeyPem));
  }

  /** Issues a client certificate whose subject CN is the user name (what Kubernetes takes as the user). */
  async issueClientCertificate(commonName: string, validityDays = 365): Promise<KeyPair> {
    const keys = await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify']);
    const notBefore = new Date(Date.now() - 60_000);
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject: new x509.Name([{ CN: [commonName] }]).toString(),
      issuer: this.#subject,
      notBefore,
      notAfter: new Date(notBefore.getTime() + validityDays * dayMs),
      signingAlgorithm,
      publicKey: keys.publicKey,
      signingKey: this.#privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      ],
    });
    return { certificatePem: certificate.toString('pem'), privateKeyPem: await exportPrivateKey(keys.privateKey) };
  }
}

async function createSelfSignedCa(): Promise<KeyPair> {
  const keys = await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify']);
  const notBefore = new Date(Date.now() - 60_000);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: 'CN=cf-k8s-api local CA',
    notBefore,
    notAfter: new Date(notBefore.getTime() + 3650 * dayMs),
    signingAlgorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { certificatePem: certificate.toString('pem'), privateKeyPem: await exportPrivateKey(keys.privateKey) };
}

async function importSigningKey(privateKeyPem: string): Promise<webcrypto.CryptoKey> {
  const der = createPrivateKey(privateKeyPem).export({ format: 'der', type: 'pkcs8' });
  return webcrypto.subtle.importKey('pkcs8', der, keyAlgorithm, false, ['sign']);
}

async function exportPrivateKey(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'pem', type: 'pkcs8' }).toString();
}

function serialNumber(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f;
  return bytes.toString('hex');
}
