import { X509Certificate, createPrivateKey } from 'node:crypto';
import { invalidAuthToken } from '../../errors/api-error.ts';
import type { Authenticator, Credentials, Identity } from '../identity.ts';
import type { UserStore } from './user-store.ts';

/**
 * Accepts bearer tokens the server issued and client certificates its local CA signed, checked the
 * way a TLS handshake with kube-apiserver would: signed by the CA, within validity, and matching the
 * private key sent with it. The certificate's CN is the user name.
 */
export class EmbeddedAuthenticator implements Authenticator {
  readonly #ca: X509Certificate;
  readonly #users: UserStore;

  constructor(options: { ca: X509Certificate; users: UserStore }) {
    this.#ca = options.ca;
    this.#users = options.users;
  }

  async authenticate(credentials: Credentials): Promise<Identity> {
    if (credentials.scheme === 'bearer') {
      const user = await this.#users.findByToken(credentials.token);
      if (!user) throw invalidAuthToken();
      return { name: user.name, kind: 'User', groups: user.groups };
    }
    return { ...this.#verifyCertificate(credentials.certificatePem, credentials.privateKeyPem), kind: 'User' };
  }

  /** The user is the subject's CN and its groups the O fields, as kube-apiserver reads a client certificate. */
  #verifyCertificate(certificatePem: string, privateKeyPem: string): { name: string; groups: string[] } {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(certificatePem);
      if (!certificate.checkPrivateKey(createPrivateKey(privateKeyPem))) throw new Error('the key does not match the certificate');
    } catch (error) {
      throw invalidAuthToken(error);
    }
    const now = Date.now();
    const signedByCa = certificate.checkIssued(this.#ca) && certificate.verify(this.#ca.publicKey);
    const current = certificate.validFromDate.getTime() <= now && now <= certificate.validToDate.getTime();
    const commonName = /^CN=(.+)$/m.exec(certificate.subject)?.[1];
    if (!signedByCa || !current || !commonName) throw invalidAuthToken();
    const groups = [...certificate.subject.matchAll(/^O=(.+)$/gm)].map((match) => match[1]!);
    return { name: commonName, groups };
  }
}
