import { X509Certificate, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** The control plane's own certificate (PEM chain, leaf first) and key: it then serves https and wss. */
export interface ServerTls {
  cert: string;
  key: string;
  /** Where the chain was read from: the local data plane trusts it from there. */
  certFile: string;
  /** The parsed chain, leaf first. */
  chain: X509Certificate[];
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function read(file: string, variable: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${variable}=${file}: ${(err as Error).message}`);
  }
}

/**
 * FULCRUM_TLS_CERT and FULCRUM_TLS_KEY (file paths), both or neither: a half-given or unreadable
 * pair is an error at start, never a silent fall back to plain http.
 */
export function readServerTls(certFile: string | undefined, keyFile: string | undefined): ServerTls | undefined {
  if (!certFile && !keyFile) return undefined;
  if (!certFile || !keyFile) throw new Error(`HTTPS needs both FULCRUM_TLS_CERT and FULCRUM_TLS_KEY; only ${certFile ? 'FULCRUM_TLS_CERT' : 'FULCRUM_TLS_KEY'} is set`);
  const cert = read(certFile, 'FULCRUM_TLS_CERT');
  const key = read(keyFile, 'FULCRUM_TLS_KEY');
  const pems = cert.match(PEM_CERT) ?? [];
  if (!pems.length) throw new Error(`FULCRUM_TLS_CERT=${certFile}: no PEM certificate in it`);
  let chain: X509Certificate[];
  try {
    chain = pems.map((pem) => new X509Certificate(pem));
  } catch (err) {
    throw new Error(`FULCRUM_TLS_CERT=${certFile}: a certificate does not parse (${(err as Error).message})`);
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`FULCRUM_TLS_KEY=${keyFile}: not a PEM private key (${(err as Error).message})`);
  }
  if (!chain[0]!.checkPrivateKey(privateKey)) throw new Error(`FULCRUM_TLS_KEY=${keyFile} is not the key of the first certificate in FULCRUM_TLS_CERT=${certFile}`);
  return { cert, key, certFile, chain };
}

/**
 * The data-plane flags with which the local data plane, reaching the control plane at
 * 127.0.0.1, verifies it: the chain file is its CA when the chain ends in a self-signed
 * certificate (a private CA or a self-signed server), otherwise the system's roots; the name
 * checked is 127.0.0.1 when the certificate holds it, else its first DNS name (a wildcard's `*`
 * made concrete). Verification is never turned off.
 */
export function localLinkArgs(tls: ServerTls): string[] {
  const last = tls.chain.at(-1)!;
  const selfSigned = last.issuer === last.subject && last.verify(last.publicKey);
  const sans = (tls.chain[0]!.subjectAltName ?? '').split(',').map((s) => s.trim());
  const servername = sans.includes('IP Address:127.0.0.1')
    ? undefined
    : sans
        .find((s) => s.startsWith('DNS:'))
        ?.slice(4)
        .replace(/^\*\./, 'local.');
  return [...(selfSigned ? ['--control-plane-ca', tls.certFile] : []), ...(servername ? ['--control-plane-servername', servername] : [])];
}
