import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';

/**
 * The proxies whose `X-Forwarded-Proto` is believed: addresses or CIDR ranges, comma-separated
 * (`127.0.0.1,10.0.0.0/8,::1`). From anyone else the header is ignored, since any client can send it.
 */
export function parseTrustedProxies(value: string | undefined): BlockList {
  const list = new BlockList();
  for (const raw of (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [address, bits] = raw.split('/');
    const family = isIP(address ?? '');
    if (!family) throw new Error(`FULCRUM_TRUSTED_PROXIES: ${JSON.stringify(raw)} is not an IP address or CIDR range`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) list.addAddress(address!, type);
    else {
      const prefix = Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) throw new Error(`FULCRUM_TRUSTED_PROXIES: ${JSON.stringify(raw)} has a bad prefix length`);
      list.addSubnet(address!, prefix, type);
    }
  }
  return list;
}

function isTrusted(address: string | undefined, trusted: BlockList): boolean {
  if (!address) return false;
  const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  return v4 ? trusted.check(v4, 'ipv4') || trusted.check(address, 'ipv6') : trusted.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6');
}

/** The request came over HTTPS: TLS on this socket, or a trusted proxy says so (its own, last, value). */
export function requestIsHttps(req: IncomingMessage, trusted: BlockList): boolean {
  if ((req.socket as TLSSocket).encrypted) return true;
  if (!isTrusted(req.socket.remoteAddress, trusted)) return false;
  const header = req.headers['x-forwarded-proto'];
  const value = (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').pop()?.trim().toLowerCase();
  return value === 'https';
}
