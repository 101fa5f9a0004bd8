import type { ClientRequest } from '../http/client-exchange';
import { isTrustedPeer } from '../http/headers';

/**
 * The client the log names: the peer, or when the peer is one of the pool's trusted proxies, the
 * address it vouches for (its X-Real-IP, else the last X-Forwarded-For entry, the one it added).
 * Anyone else's forwarding headers are ignored, as the proxy ignores them upstream.
 */
export function realClientIp(trustedProxies: readonly string[], req: Pick<ClientRequest, 'clientIp' | 'header'>): string {
  const peer = req.clientIp;
  if (!isTrustedPeer(trustedProxies, peer)) return peer;
  const real = req.header('x-real-ip')?.trim();
  if (real) return real.slice(0, 64);
  const xff = req.header('x-forwarded-for');
  const last = xff?.slice(xff.lastIndexOf(',') + 1).trim();
  return last ? last.slice(0, 64) : peer;
}
