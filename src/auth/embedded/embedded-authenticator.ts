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
      const name = await this.#users.findByToken(credentials.token);
      if (!name) throw invalidAuthToken();
      return { name, kind: 'User' };
    }
    return { name: this.#verifyCertificate(credentials.certificatePem, credentials.privateKeyPem), kind: 'User' };
  }

  #verifyCertificate(certificatePem: string, privateKeyPem: string): string {
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
    return commonName;
  }
}
