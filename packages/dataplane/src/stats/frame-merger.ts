import {
  type TBackendStats,
  type TConfigSnapshot,
  type TListenerStats,
  type TPoolClientStats,
  type TStatsFrame,
  emptyClientStats,
  emptyHistogram,
  emptyListenerStats,
  mergeBackendStats,
  mergeClientStats,
  mergeHistogram,
  mergeListenerStats,
} from '@fulcrum/protocol';
import type { MetricsRow, MetricsView } from '../admin/prometheus';
import type { Counters } from './backend-stats';

const zeroCounters = (): Counters => ({ requests: 0, responses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, errors: { connect: 0, timeout: 0, reset: 0 }, bytesIn: 0, bytesOut: 0 });

/**
 * Merges the frames of several worker processes into one (mergeBackendStats, mergeClientStats:
 * histograms add bucket by bucket); running totals are kept for /metrics.
 */
export class FrameMerger {
  private pending = new Map<string, TStatsFrame>();
  private totals = new Map<string, { counters: Counters; latency: MetricsRow['latency'] }>();
  private poolTotals = new Map<string, TPoolClientStats>();
  private listenerTotals = new Map<string, TListenerStats>();

  add(workerId: string, frame: TStatsFrame): void {
    this.pending.set(workerId, frame);
    for (const l of frame.listeners ?? []) {
      const t = this.listenerTotals.get(l.listenerId) ?? emptyListenerStats(l.listenerId);
      mergeListenerStats(t, l);
      this.listenerTotals.set(l.listenerId, t);
    }
    for (const pool of frame.pools) {
      if (pool.client) {
        const p = this.poolTotals.get(pool.poolId) ?? emptyClientStats();
        mergeClientStats(p, pool.client);
        this.poolTotals.set(pool.poolId, p);
      }
      for (const b of pool.backends) {
        const t = this.totals.get(b.backendId) ?? { counters: zeroCounters(), latency: emptyHistogram() };
        const c = t.counters;
        c.requests += b.requests;
        for (const k of Object.keys(c.responses) as (keyof typeof c.responses)[]) c.responses[k] += b.responses[k];
        for (const k of Object.keys(c.errors) as (keyof typeof c.errors)[]) c.errors[k] += b.errors[k];
        c.bytesIn += b.bytesIn;
        c.bytesOut += b.bytesOut;
        if (b.latency) mergeHistogram(t.latency, b.latency);
        this.totals.set(b.backendId, t);
      }
    }
  }

  /** One frame for everything received since the last call. */
  flush(dataplaneId: string, configVersion: number | null): TStatsFrame {
    const frames = [...this.pending.values()];
    this.pending.clear();
    const pools = new Map<string, { backends: Map<string, TBackendStats>; client?: TPoolClientStats }>();
    for (const f of frames) {
      for (const p of f.pools) {
        const pool = pools.get(p.poolId) ?? { backends: new Map<string, TBackendStats>() };
        pools.set(p.poolId, pool);
        if (p.client) {
          if (!pool.client) pool.client = structuredClone(p.client);
          else mergeClientStats(pool.client, p.client);
        }
        for (const b of p.backends) {
          const m = pool.backends.get(b.backendId);
          if (!m) {
            pool.backends.set(b.backendId, structuredClone(b));
            continue;
          }
          mergeBackendStats(m, b);
        }
      }
    }
    const listeners = new Map<string, TListenerStats>();
    for (const f of frames) {
      for (const l of f.listeners ?? []) {
        const m = listeners.get(l.listenerId);
        if (m) mergeListenerStats(m, l);
        else listeners.set(l.listenerId, structuredClone(l));
      }
    }
    return {
      dataplaneId,
      ts: Date.now(),
      intervalMs: Math.max(1, ...frames.map((f) => f.intervalMs)),
      configVersion,
      pools: [...pools].map(([poolId, p]) => ({ poolId, backends: [...p.backends.values()], ...(p.client ? { client: p.client } : {}) })),
      ...(listeners.size ? { listeners: [...listeners.values()] } : {}),
    };
  }

  /** Running totals for /metrics and /stats, named from the snapshot. */
  view(snapshot: TConfigSnapshot | undefined, last: TStatsFrame | undefined): MetricsView {
    const live = new Map(last?.pools.flatMap((p) => p.backends.map((b) => [b.backendId, b] as const)) ?? []);
    const pools = snapshot?.pools ?? [];
    return {
      pools: pools.map((pool) => {
        const { latency, ...client } = this.poolTotals.get(pool.id) ?? emptyClientStats();
        return { pool: pool.name, poolId: pool.id, client, latency };
      }),
      listeners: (snapshot?.listeners ?? []).map((l) => ({ listener: l.name, ...(this.listenerTotals.get(l.id) ?? emptyListenerStats(l.id)) })),
      backends: pools.flatMap((pool) =>
        pool.backends.map((b) => {
          const l = live.get(b.id);
          const t = this.totals.get(b.id);
          return {
            pool: pool.name,
            address: `${b.host}:${b.port}`,
            totals: t?.counters ?? zeroCounters(),
            latency: t?.latency ?? emptyHistogram(),
            active: l?.activeConnections ?? 0,
            healthy: l?.health !== 'unhealthy',
            ejected: l?.ejected ?? false,
            ewmaMs: l?.latencyMs.p50 ?? 0,
          };
        }),
      ),
    };
  }
}
