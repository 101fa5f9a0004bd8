import { isIP } from 'node:net';
import { isTrustedPeer } from './headers';

/**
 * The address a request really comes from, for ip_hash and hash keys: the peer itself unless
 * the pool trusts it as a proxy; behind trusted proxies, X-Forwarded-For read from the right,
 * skipping trusted hops, as NGINX's `real_ip_recursive on` does (then X-Real-IP). A value that is
 * not an IP address is never used: a hostile client cannot pick its hash bucket with garbage.
 */
export function realClientIp(trustedProxies: readonly string[], peer: string, rawHeaders: readonly string[]): string {
  if (!isTrustedPeer(trustedProxies, peer)) return peer;
  const hops: string[] = [];
  let realIp: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const lower = rawHeaders[i]!.toLowerCase();
    if (lower === 'x-forwarded-for') for (const hop of rawHeaders[i + 1]!.split(',')) hops.push(hop.trim());
    else if (lower === 'x-real-ip' && realIp === undefined) realIp = rawHeaders[i + 1]!.trim();
  }
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (isIP(hop) === 0) return peer;
    if (!isTrustedPeer(trustedProxies, hop)) return hop;
  }
  if (hops.length > 0) return hops[0]!;
  return realIp !== undefined && isIP(realIp) !== 0 ? realIp : peer;
}
