import { expect } from 'chai';
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { parseAuthorizationHeader } from '../../src/auth/authorization-header.ts';
import { normalizePrivateKeyPem } from '../../src/auth/private-key.ts';

/** A DER key in a PEM block with any label, as tools other than ours write them. */
function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
const ed25519 = generateKeyPairSync('ed25519').privateKey;
const der = (key: KeyObject, type: 'pkcs1' | 'pkcs8' | 'sec1') => key.export({ format: 'der', type });
const samePrivateKey = (normalized: string | undefined, key: KeyObject) =>
  expect(createPrivateKey(normalized!).export({ format: 'jwk' })).to.deep.equal(key.export({ format: 'jwk' }));

describe('private keys in any encoding Go TLS accepts', () => {
  const accepted: [string, string, KeyObject][] = [
    ['PKCS#1 RSA under RSA PRIVATE KEY', pem('RSA PRIVATE KEY', der(rsa, 'pkcs1')), rsa],
    ['PKCS#1 RSA under PRIVATE KEY (the label is not trusted)', pem('PRIVATE KEY', der(rsa, 'pkcs1')), rsa],
    ['PKCS#8 RSA under PRIVATE KEY', pem('PRIVATE KEY', der(rsa, 'pkcs8')), rsa],
    ['PKCS#8 RSA under RSA PRIVATE KEY', pem('RSA PRIVATE KEY', der(rsa, 'pkcs8')), rsa],
    ['SEC1 EC under EC PRIVATE KEY', pem('EC PRIVATE KEY', der(ec, 'sec1')), ec],
    ['SEC1 EC under PRIVATE KEY', pem('PRIVATE KEY', der(ec, 'sec1')), ec],
    ['PKCS#8 EC under PRIVATE KEY', pem('PRIVATE KEY', der(ec, 'pkcs8')), ec],
    ['PKCS#8 Ed25519 under PRIVATE KEY', pem('PRIVATE KEY', der(ed25519, 'pkcs8')), ed25519],
  ];
  for (const [title, text, key] of accepted) {
    it(`reads ${title}, handing it on as PKCS#8`, () => {
      const normalized = normalizePrivateKeyPem(text);
      expect(normalized).to.match(/^-----BEGIN PRIVATE KEY-----\n/);
      samePrivateKey(normalized, key);
    });
  }

  it('refuses what is no usable private key', () => {
    const x25519 = generateKeyPairSync('x25519').privateKey;
    expect(normalizePrivateKeyPem(pem('PRIVATE KEY', der(x25519, 'pkcs8')))).to.equal(undefined);
    expect(normalizePrivateKeyPem(pem('PRIVATE KEY', Buffer.from('not a key')))).to.equal(undefined);
    expect(normalizePrivateKeyPem('-----BEGIN PRIVATE KEY-----\n!!!\n-----END PRIVATE KEY-----')).to.equal(undefined);
    const encrypted = rsa.export({ format: 'pem', type: 'pkcs1', cipher: 'aes-128-cbc', passphrase: 'x' }).toString();
    expect(normalizePrivateKeyPem(encrypted)).to.equal(undefined);
  });

  it('lets the ClientCert header carry a PKCS#1 key under PRIVATE KEY, as Go TLS does', () => {
    const certificate = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    const header = `ClientCert ${Buffer.from(certificate + pem('PRIVATE KEY', der(rsa, 'pkcs1'))).toString('base64')}`;
    const credentials = parseAuthorizationHeader(header);
    expect(credentials.scheme).to.equal('clientCert');
    if (credentials.scheme === 'clientCert') samePrivateKey(credentials.privateKeyPem, rsa);
  });

  it('refuses a ClientCert header whose key block cannot be read', () => {
    const certificate = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
    const header = `ClientCert ${Buffer.from(certificate + pem('PRIVATE KEY', Buffer.from('junk'))).toString('base64')}`;
    expect(() => parseAuthorizationHeader(header))
      .to.throw()
      .with.property('title', 'CF-InvalidAuthToken');
  });
});
