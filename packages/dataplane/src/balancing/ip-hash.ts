import type { BalancerFactory } from './balancer';
import { fmix32, hash32 } from './hash';

// As NGINX's ip_hash: a few rehashes spread a refused backend's clients over the others
// (walking straight to the next would double that one neighbour's load), then a plain walk.
const MAX_REHASHES = 20;

/**
 * Hash of the whole client address (IPv4 and IPv6 alike) modulo the backend count. NGINX hashes
 * only an IPv4 address's first three octets, which pins a whole /24 (a NAT pool, an office) to one
 * backend; the whole address spreads those clients. A refused backend makes the client rehash.
 */
export const ipHash: BalancerFactory = (backends) => ({
  select(ctx, accept) {
    const n = backends.length;
    if (n === 0) return undefined;
    let h = hash32(ctx.clientIp);
    let pos = h % n;
    const rehashes = Math.min(MAX_REHASHES, n);
    for (let tries = 0; tries <= rehashes; tries++) {
      const b = backends[pos]!;
      if (accept(b)) return b;
      h = fmix32(h + 1);
      pos = h % n;
    }
    for (let i = 0; i < n; i++) {
      const b = backends[(pos + i) % n]!;
      if (accept(b)) return b;
    }
    return undefined;
  },
});
