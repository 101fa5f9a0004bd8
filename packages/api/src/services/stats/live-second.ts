import { type TPoolTraffic, sumPoolTraffic } from '@fulcrum/protocol';
import type { DataplaneHub } from '../../hub/dataplane-hub';
import type { BackendPoint, PoolSecond } from '../../stats/stats-store';

/** One backend's second as the dashboard gets it: the percentiles, not the bucket counts. */
export type LiveBackend = Omit<BackendPoint, 'latency'>;

/** One pool's second as the dashboard gets it. */
export interface LivePool {
  backends: Record<string, LiveBackend>;
  traffic: TPoolTraffic;
  /** Data planes whose frames are in it. */
  reporters: string[];
}

/**
 * A merged second for the browser: per pool what clients got (sumPoolTraffic over the client
 * counters; percentiles from the merged histogram) and the backends without their bucket
 * arrays, which the control plane has already turned into percentiles.
 */
export function liveSecond(pools: Record<string, PoolSecond>): Record<string, LivePool> {
  const out: Record<string, LivePool> = {};
  for (const [poolId, s] of Object.entries(pools)) {
    const backends: Record<string, LiveBackend> = {};
    for (const [id, { latency: _, ...b }] of Object.entries(s.backends)) backends[id] = b;
    out[poolId] = { backends, traffic: sumPoolTraffic(Object.values(s.backends), s.client), reporters: s.reporters ?? [] };
  }
  return out;
}

/**
 * One frame of the live stream: the merged second `ts` (optionally one pool's), with the data
 * planes' links and whether this replica hears the others (PostgreSQL notifications), so a pool
 * without data can say why ("edge-1 disconnected").
 */
export function liveFrame(hub: DataplaneHub | undefined, ts: number, poolId?: string) {
  return { ts, pools: liveSecond(hub?.stats.poolsAt(ts, poolId) ?? {}), dataplanes: hub?.dataplaneLinks() ?? [], notificationsDownSince: hub?.notificationsDownSince() ?? null };
}

/**
 * The newest complete second `ts` as `liveFrame` gives it, plus, for a pool missing from it, its
 * most recent second of the `lookback` before (a frame that came late, a data plane that just
 * stopped), each pool stamped with its own second: what a dashboard open for a while would hold
 * (a pool missing from a push keeps its last second), for a page rendered on the server.
 */
export function recentLiveFrame(hub: DataplaneHub | undefined, ts: number, lookback: number) {
  const frame = liveFrame(hub, ts);
  const pools: Record<string, LivePool & { ts: number }> = {};
  for (const [id, p] of Object.entries(frame.pools)) pools[id] = { ...p, ts };
  for (let back = 1; back <= lookback && hub; back++) {
    const older = ts - back * 1000;
    for (const [id, p] of Object.entries(liveSecond(hub.stats.poolsAt(older)))) pools[id] ??= { ...p, ts: older };
  }
  return { ...frame, pools };
}
