import { type KeyObject, X509Certificate, createPrivateKey } from 'node:crypto';
import { AppError } from '../../errors';

/** What an upload holds once checked: the chain as stored, and the facts the API and the data planes show. */
export interface ParsedCertificate {
  chain: string;
  key: string;
  names: string[];
  notBefore: Date;
  notAfter: Date;
  fingerprint: string;
  keyType: string;
  issuer: string;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/**
 * Checks an upload with node:crypto: every block of `chain` a parseable X.509 certificate, each
 * issued and signed by the next (leaf first), and `key` a private key that belongs to the leaf.
 * Refusals name the field (`chain` or `key`) and never quote the key or any PEM.
 */
export function parseCertificateUpload(chainText: string, keyText: string): ParsedCertificate {
  const blocks = [...chainText.matchAll(BLOCK)];
  if (blocks.some((b) => b[1]!.includes('PRIVATE KEY'))) throw AppError.field('chain', 'chain holds a private key: the key goes in key, the chain holds certificates only');
  const pems = blocks.filter((b) => b[1] === 'CERTIFICATE').map((b) => b[0]);
  if (pems.length === 0) throw AppError.field('chain', 'chain holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  if (pems.length > 10) throw AppError.field('chain', `chain holds ${pems.length} certificates; at most 10 (the leaf and its intermediates)`);
  const certs = pems.map((pem, i) => {
    try {
      return new X509Certificate(pem);
    } catch {
      throw AppError.field('chain', `certificate ${i + 1} of the chain is not a parseable X.509 certificate`);
    }
  });
  for (let i = 1; i < certs.length; i++) {
    const child = certs[i - 1]!;
    const parent = certs[i]!;
    if (!child.checkIssued(parent) || !child.verify(parent.publicKey)) {
      throw AppError.field('chain', `certificate ${i + 1} of the chain did not issue certificate ${i}: list the leaf first, then each issuer in order`);
    }
  }
  const leaf = certs[0]!;
  if (leaf.ca) throw AppError.field('chain', 'the first certificate of the chain is a CA certificate; the leaf (the server certificate) goes first');
  const keyBlocks = [...keyText.matchAll(BLOCK)];
  if (keyBlocks.length !== 1 || !keyBlocks[0]![1]!.endsWith('PRIVATE KEY')) throw AppError.field('key', 'key must be exactly one PEM private key (-----BEGIN PRIVATE KEY----- or an RSA/EC one)');
  if (keyBlocks[0]![1] === 'ENCRYPTED PRIVATE KEY') throw AppError.field('key', 'key is encrypted with a passphrase; upload it unencrypted (it is sealed at rest here)');
  let key: KeyObject;
  try {
    key = createPrivateKey(keyBlocks[0]![0]);
  } catch {
    throw AppError.field('key', 'key is not a parseable private key (PEM, unencrypted)');
  }
  if (!leaf.checkPrivateKey(key)) throw AppError.field('key', "key does not belong to the chain's first certificate (the leaf)");
  return {
    chain: `${pems.join('\n')}\n`,
    key: `${keyBlocks[0]![0]}\n`,
    names: namesOf(leaf),
    notBefore: new Date(leaf.validFrom),
    notAfter: new Date(leaf.validTo),
    fingerprint: leaf.fingerprint256,
    keyType: keyTypeOf(key),
    issuer: leaf.issuer.replace(/\n/g, ', '),
  };
}

/** The DNS names a leaf serves: its subjectAltName DNS entries, else its CN (lower case). */
function namesOf(leaf: X509Certificate): string[] {
  const dns = (leaf.subjectAltName ?? '')
    .split(', ')
    .filter((e) => e.startsWith('DNS:'))
    .map((e) => e.slice(4).toLowerCase());
  if (dns.length) return [...new Set(dns)];
  const cn = /(?:^|\n)CN=([^\n]+)/.exec(leaf.subject)?.[1];
  return cn ? [cn.toLowerCase()] : [];
}

function keyTypeOf(key: KeyObject): string {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'ec') return `ec ${d?.namedCurve === 'prime256v1' ? 'P-256' : d?.namedCurve === 'secp384r1' ? 'P-384' : (d?.namedCurve ?? '')}`.trim();
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') return `${key.asymmetricKeyType} ${d?.modulusLength ?? ''}`.trim();
  return key.asymmetricKeyType ?? 'unknown';
}
