import { webcrypto, X509Certificate, createPrivateKey, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type * as X509 from '@peculiar/x509';

let x509Module: Promise<typeof X509> | undefined;

/**
 * @peculiar/x509, loaded when a certificate is first made: only issuing needs it, and loading it (with
 * its ASN.1 schemas) costs a server that restarts on an existing data directory a quarter of a second.
 */
function loadX509(): Promise<typeof X509> {
  x509Module ??= (async () => {
    // It resolves its ASN.1 schemas through tsyringe, which needs the Reflect metadata API.
    await import('reflect-metadata');
    const loaded = await import('@peculiar/x509');
    loaded.cryptoProvider.set(webcrypto as unknown as Parameters<typeof loaded.cryptoProvider.set>[0]);
    return loaded;
  })();
  return x509Module;
}

const keyAlgorithm = { name: 'ECDSA', namedCurve: 'P-256' } as const;
/** Key types a client certificate can be issued for; the CA itself always signs with its P-256 key. */
const clientKeyAlgorithms = {
  'ec-p256': keyAlgorithm,
  'rsa-2048': { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
} as const;
export type ClientKeyType = keyof typeof clientKeyAlgorithms;
const signingAlgorithm = { name: 'ECDSA', hash: 'SHA-256' } as const;
const dayMs = 24 * 60 * 60 * 1000;

/** A PEM certificate with its PKCS#8 PEM private key. */
export type KeyPair = { certificatePem: string; privateKeyPem: string };

/** The local certificate authority that signs the embedded backend's user certificates. */
export class CertificateAuthority {
  readonly certificatePem: string;
  readonly certificate: X509Certificate;
  readonly #privateKey: webcrypto.CryptoKey;

  private constructor(certificatePem: string, privateKey: webcrypto.CryptoKey) {
    this.certificatePem = certificatePem;
    this.certificate = new X509Certificate(certificatePem);
    this.#privateKey = privateKey;
  }

  /** Loads `ca.crt`/`ca.key` from the directory, creating a new CA there on first use. */
  static async loadOrCreate(directory: string, commonName = 'cf-k8s-api local CA'): Promise<CertificateAuthority> {
    const certFile = join(directory, 'ca.crt');
    const keyFile = join(directory, 'ca.key');
    try {
      const [certificatePem, privateKeyPem] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
      return new CertificateAuthority(certificatePem, await importSigningKey(privateKeyPem));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const created = await createSelfSignedCa(commonName);
    await mkdir(directory, { recursive: true, mode: 0o700 });
    await writeFile(keyFile, created.privateKeyPem, { mode: 0o600 });
    await writeFile(certFile, created.certificatePem, { mode: 0o644 });
    return new CertificateAuthority(created.certificatePem, await importSigningKey(created.privateKeyPem));
  }

  /**
   * Issues a client certificate. Kubernetes takes the subject CN as the user name and each O as a
   * group, so `groups` is how a certificate user joins e.g. `system:masters`.
   */
  async issueClientCertificate(
    commonName: string,
    options: { groups?: readonly string[]; validityDays?: number; keyType?: ClientKeyType } = {},
  ): Promise<KeyPair> {
    const x509 = await loadX509();
    const subject = new x509.Name([...(options.groups ?? []).map((group) => ({ O: [group] })), { CN: [commonName] }]).toString();
    const extensions = [new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth])];
    return this.#issue(subject, options.validityDays ?? 365, extensions, clientKeyAlgorithms[options.keyType ?? 'ec-p256']);
  }

  /** Issues a TLS server certificate for these host names and IP addresses. */
  async issueServerCertificate(commonName: string, alternativeNames: { dns?: string[]; ip?: string[] }): Promise<KeyPair> {
    const x509 = await loadX509();
    const names = [
      ...(alternativeNames.dns ?? []).map((value) => ({ type: 'dns' as const, value })),
      ...(alternativeNames.ip ?? []).map((value) => ({ type: 'ip' as const, value })),
    ];
    return this.#issue(new x509.Name([{ CN: [commonName] }]).toString(), 825, [
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
    ]);
  }

  async #issue(
    subject: string,
    validityDays: number,
    extensions: X509.Extension[],
    algorithm: webcrypto.RsaHashedKeyGenParams | webcrypto.EcKeyGenParams = keyAlgorithm,
  ): Promise<KeyPair> {
    const x509 = await loadX509();
    const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
    const notBefore = new Date(Date.now() - 60_000);
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serialNumber(),
      subject,
      issuer: new x509.X509Certificate(this.certificatePem).subject,
      notBefore,
      notAfter: new Date(notBefore.getTime() + validityDays * dayMs),
      signingAlgorithm,
      publicKey: keys.publicKey,
      signingKey: this.#privateKey,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
        ...extensions,
      ],
    });
    return { certificatePem: certificate.toString('pem'), privateKeyPem: await exportPrivateKey(keys.privateKey) };
  }
}

async function createSelfSignedCa(commonName: string): Promise<KeyPair> {
  const x509 = await loadX509();
  const keys = await webcrypto.subtle.generateKey(keyAlgorithm, true, ['sign', 'verify']);
  const notBefore = new Date(Date.now() - 60_000);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}`,
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
