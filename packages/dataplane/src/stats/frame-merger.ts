import { type TBackendStats, type TConfigSnapshot, type TStatsFrame, mergeBackendStats } from '@fulcrum/protocol';
import type { MetricsRow } from '../admin/prometheus';

/**
 * Merges the frames of several worker processes into one (mergeBackendStats); running totals
 * are kept for /metrics.
 */
export class FrameMerger {
  private pending = new Map<string, TStatsFrame>();
  private totals = new Map<string, MetricsRow['totals']>();

  add(workerId: string, frame: TStatsFrame): void {
    this.pending.set(workerId, frame);
    for (const pool of frame.pools) {
      for (const b of pool.backends) {
        const t = this.totals.get(b.backendId) ?? { requests: 0, responses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, errors: { connect: 0, timeout: 0, reset: 0 }, bytesIn: 0, bytesOut: 0 };
        t.requests += b.requests;
        for (const k of Object.keys(t.responses) as (keyof typeof t.responses)[]) t.responses[k] += b.responses[k];
        for (const k of Object.keys(t.errors) as (keyof typeof t.errors)[]) t.errors[k] += b.errors[k];
        t.bytesIn += b.bytesIn;
        t.bytesOut += b.bytesOut;
        this.totals.set(b.backendId, t);
      }
    }
  }

  /** One frame for everything received since the last call. */
  flush(dataplaneId: string, configVersion: number | null): TStatsFrame {
    const frames = [...this.pending.values()];
    this.pending.clear();
    const pools = new Map<string, Map<string, TBackendStats>>();
    for (const f of frames) {
      for (const p of f.pools) {
        const backends = pools.get(p.poolId) ?? new Map<string, TBackendStats>();
        pools.set(p.poolId, backends);
        for (const b of p.backends) {
          const m = backends.get(b.backendId);
          if (!m) {
            backends.set(b.backendId, structuredClone(b));
            continue;
          }
          mergeBackendStats(m, b);
        }
      }
    }
    return {
      dataplaneId,
      ts: Date.now(),
      intervalMs: Math.max(1, ...frames.map((f) => f.intervalMs)),
      configVersion,
      pools: [...pools].map(([poolId, backends]) => ({ poolId, backends: [...backends.values()] })),
    };
  }

  /** Rows for /metrics, named from the snapshot. */
  rows(snapshot: TConfigSnapshot | undefined, last: TStatsFrame | undefined): MetricsRow[] {
    const live = new Map(last?.pools.flatMap((p) => p.backends.map((b) => [b.backendId, b] as const)) ?? []);
    return (snapshot?.pools ?? []).flatMap((pool) =>
      pool.backends.map((b) => {
        const l = live.get(b.id);
        return {
          pool: pool.name,
          address: `${b.host}:${b.port}`,
          totals: this.totals.get(b.id) ?? { requests: 0, responses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 }, errors: { connect: 0, timeout: 0, reset: 0 }, bytesIn: 0, bytesOut: 0 },
          active: l?.activeConnections ?? 0,
          healthy: l?.health !== 'unhealthy',
          ejected: l?.ejected ?? false,
          ewmaMs: l?.latencyMs.p50 ?? 0,
        };
      }),
    );
  }
}
