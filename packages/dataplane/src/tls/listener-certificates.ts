import { X509Certificate, createPrivateKey } from 'node:crypto';
import { type SecureContext, createSecureContext } from 'node:tls';
import { type TConfigSnapshot, type TListenerTls, type TSnapshotCertificate, certificateKeyRef } from '@fulcrum/protocol';

/**
 * TLS 1.2 suites: forward secret (ECDHE) AEAD only, no RSA key exchange, no CBC. TLS 1.3's own
 * suites are all AEAD and listed first so OpenSSL keeps them.
 */
export const MODERN_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

interface CachedContext {
  chain: string;
  key: string;
  context: SecureContext;
}

/**
 * Secure contexts built once per certificate version and minimum version, kept across
 * snapshots: a snapshot that leaves a certificate alone reuses its context (building one parses
 * the key), a rotation (new version, new chain and key) builds a new one.
 */
export class SecureContextCache {
  private entries = new Map<string, CachedContext>();
  private used = new Map<string, CachedContext>();

  get(cert: TSnapshotCertificate, key: string, minVersion: TListenerTls['minVersion']): SecureContext {
    const id = `${cert.id}|${cert.version}|${minVersion}`;
    let entry = this.used.get(id) ?? this.entries.get(id);
    if (!entry || entry.chain !== cert.chain || entry.key !== key) {
      let context: SecureContext;
      try {
        // OpenSSL files a key of another type than the leaf's in another slot without a word.
        if (!new X509Certificate(cert.chain).checkPrivateKey(createPrivateKey(key))) throw new Error('the private key does not belong to the leaf certificate');
        context = createSecureContext({ cert: cert.chain, key, minVersion, maxVersion: 'TLSv1.3', ciphers: MODERN_CIPHERS, honorCipherOrder: true, ecdhCurve: 'auto' });
      } catch (err) {
        // Our reason or OpenSSL's (e.g. "key values mismatch"); never the key itself.
        throw new Error(`certificate ${cert.name} (${cert.id}) version ${cert.version} cannot be used: ${(err as Error).message}`);
      }
      entry = { chain: cert.chain, key, context };
    }
    this.used.set(id, entry);
    return entry.context;
  }

  /** After an apply: only the contexts the new snapshot used stay cached. */
  settle(): void {
    this.entries = this.used;
    this.used = new Map();
  }
}

/**
 * The certificates of one https listener, chosen per handshake by the name the client sent
 * (SNI): an exact name first, then a wildcard (`*.example.com` covers one label:
 * `a.example.com`, not `example.com` nor `a.b.example.com`), then the listener's default, the
 * first certificate it lists. Built whole from a snapshot; a rotation builds a new one, so new
 * handshakes get the new certificate while open connections keep theirs.
 */
export class ListenerCertificates {
  readonly defaultContext: SecureContext;
  private readonly exact = new Map<string, SecureContext>();
  private readonly wildcard = new Map<string, SecureContext>();

  constructor(
    readonly tls: TListenerTls,
    snapshot: Pick<TConfigSnapshot, 'certificates' | 'secrets'>,
    cache: SecureContextCache,
  ) {
    let first: SecureContext | undefined;
    for (const id of tls.certificateIds) {
      const cert = snapshot.certificates?.find((c) => c.id === id);
      if (!cert) throw new Error(`certificate ${id} is not in the snapshot`);
      const key = snapshot.secrets?.[certificateKeyRef(id)];
      if (key === undefined) throw new Error(`the private key of certificate ${cert.name} (${certificateKeyRef(id)}) is not in the snapshot's secrets`);
      const context = cache.get(cert, key, tls.minVersion);
      first ??= context;
      for (const raw of cert.names) {
        const name = raw.toLowerCase();
        // The first certificate listed for a name wins, as the listener's order says.
        const table = name.startsWith('*.') ? this.wildcard : this.exact;
        const k = name.startsWith('*.') ? name.slice(2) : name;
        if (!table.has(k)) table.set(k, context);
      }
    }
    if (!first) throw new Error('an https listener needs at least one certificate');
    this.defaultContext = first;
  }

  /** The context for the name a client asked for (none: the default). */
  select(servername: string | undefined): SecureContext {
    if (!servername) return this.defaultContext;
    const name = servername.toLowerCase().replace(/\.$/, '');
    const exact = this.exact.get(name);
    if (exact) return exact;
    const dot = name.indexOf('.');
    if (dot > 0) {
      const wild = this.wildcard.get(name.slice(dot + 1));
      if (wild) return wild;
    }
    return this.defaultContext;
  }
}
