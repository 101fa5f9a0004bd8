import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** How the link verifies a `wss://` control plane: the CA it trusts and the name it checks. Verification is never off. */
export interface LinkTls {
  /** PEM certificates trusted instead of the system's roots (a private CA). */
  ca?: string;
  /** The name the certificate must hold when the URL names the control plane otherwise (an address). */
  servername?: string;
}

export interface LinkTlsInput {
  url: string;
  caFile?: string;
  servername?: string;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Checks the link's URL and TLS settings before anything connects, so a typo is an error at
 * start and not a retry loop: ws:// or wss:// only, a CA file that holds certificates, and no
 * TLS setting on a plain ws:// link (it would be silently ignored).
 */
export function readLinkTls(input: LinkTlsInput): LinkTls {
  let url: URL;
  try {
    url = new URL(input.url);
  } catch {
    throw new Error(`--control-plane: ${JSON.stringify(input.url)} is not a URL (ws://host:3000/ws/dataplane or wss://…)`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`--control-plane: ${url.protocol}// is not a link scheme; use ws:// or wss:// (a control plane serving https takes wss://)`);
  if (url.protocol === 'ws:' && (input.caFile || input.servername))
    throw new Error('--control-plane-ca and --control-plane-servername apply to a wss:// control plane; this one is ws:// (unencrypted)');
  if (!input.caFile) return { servername: input.servername };
  let text: string;
  try {
    text = readFileSync(input.caFile, 'utf8');
  } catch (err) {
    throw new Error(`--control-plane-ca ${input.caFile}: ${(err as Error).message}`);
  }
  const pems = text.match(PEM_CERT) ?? [];
  if (!pems.length) throw new Error(`--control-plane-ca ${input.caFile}: no PEM certificate in it`);
  for (const pem of pems) {
    try {
      new X509Certificate(pem);
    } catch (err) {
      throw new Error(`--control-plane-ca ${input.caFile}: a certificate does not parse (${(err as Error).message})`);
    }
  }
  return { ca: pems.join('\n'), servername: input.servername };
}

/** Codes Node gives when the peer's certificate is not trusted or not for this name. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
]);

/**
 * A link error an operator can act on: which side of TLS went wrong and the flag that fixes
 * it, not only Node's words.
 */
export function describeLinkError(err: Error & { code?: string }, url: string): string {
  const code = err.code ?? '';
  const secure = url.startsWith('wss:');
  if (UNTRUSTED.has(code)) return `the control plane's certificate is not trusted (${code}: ${err.message}); give the CA that issued it with --control-plane-ca FILE`;
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `the control plane's certificate is not for this name (${err.message}); connect by a name it holds, or name one with --control-plane-servername`;
  if (secure && (code === 'EPROTO' || /wrong version number|packet length too long/i.test(err.message)))
    return `no TLS from the control plane (${err.message}); a control plane serving plain http takes ws://`;
  if (!secure && (code === 'ECONNRESET' || /socket hang up/i.test(err.message))) return `the control plane closed the connection (${err.message}); if it serves https, use wss://`;
  return err.message;
}
