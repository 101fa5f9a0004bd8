import type { BalancerFactory } from './balancer';
import { fnv1a } from './hash';

/**
 * The whole client address is hashed (IPv4 and IPv6 alike; NGINX's first-three-octets rule
 * would send a whole /24 to one backend). A refused backend sends the client to the next one.
 */
export const ipHash: BalancerFactory = (backends) => ({
  select(ctx, accept) {
    const n = backends.length;
    if (n === 0) return undefined;
    const start = fnv1a(ctx.clientIp) % n;
    for (let i = 0; i < n; i++) {
      const b = backends[(start + i) % n]!;
      if (accept(b)) return b;
    }
    return undefined;
  },
});
