import { getHub } from '../../hub/dataplane-hub';

export interface VersionStats {
  requests: number;
  /** 5xx answers plus connect, timeout and reset errors. */
  failures: number;
  errorRate: number;
  /** Connections open in the newest second. */
  activeConnections: number;
  /** Backends a data plane reports unhealthy or ejected in the newest two seconds. */
  unhealthy: string[];
  /** False when this control plane holds no live stats (no hub, or no data plane reported). */
  observed: boolean;
}

/**
 * Traffic of a set of backends over the last seconds, merged across data planes, from the live
 * stats the hub keeps. Deploy gates and the autoscaler read stats only through here and the hub.
 */
export function statsOf(poolId: string, backendIds: string[], seconds: number): VersionStats {
  const hub = getHub();
  const seconds_ = hub ? hub.stats.recent(poolId, Math.max(1, Math.ceil(seconds))) : [];
  const ids = new Set(backendIds);
  let requests = 0;
  let failures = 0;
  const unhealthy = new Set<string>();
  let observed = false;
  let activeConnections = 0;
  for (const [i, s] of seconds_.entries()) {
    for (const [id, p] of Object.entries(s.backends)) {
      if (!ids.has(id)) continue;
      observed = true;
      requests += p.requests;
      failures += p.responses['5xx'] + p.errors.connect + p.errors.timeout + p.errors.reset;
      // Health is a state, not a count: only the newest seconds say how the backend is now
      // (a backend added a moment ago may show unhealthy until its first check).
      if ((p.health === 'unhealthy' || p.ejected) && i >= seconds_.length - 2) unhealthy.add(id);
      if (i === seconds_.length - 1) activeConnections += p.activeConnections;
    }
  }
  return { requests, failures, errorRate: requests ? failures / requests : 0, activeConnections, unhealthy: [...unhealthy], observed };
}
