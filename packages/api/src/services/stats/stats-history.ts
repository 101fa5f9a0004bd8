import type { PrismaClient } from '@fulcrum/db';
import { sumPoolTraffic } from '@fulcrum/protocol';
import { type BackendPoint, ROLLUP_SECONDS, type StatsStore } from '../../stats/stats-store';

export type TStatsRange = '5m' | '1h' | '24h';

export interface HistoryPoint {
  /** Start of the point's interval, ms since epoch. */
  ts: number;
  requests: number;
  responses5xx: number;
  errors: number;
  activeConnections: number;
  p99Ms: number;
  /** Per backend, on the '5m' range only (memory keeps seconds per backend; the rollups are read as pool totals). */
  backends?: Record<string, BackendPoint>;
}

export interface StatsHistory {
  poolId: string;
  range: TStatsRange;
  resolutionSeconds: number;
  points: HistoryPoint[];
}

// A finished bucket reaches Postgres up to one rollup period after it ends.
const ROLLUP_LAG_MS = ROLLUP_SECONDS * 1000;

// 5 minutes come from memory at 1 s; longer ranges from the 10 s rollups, coarsened so a chart
// never gets more than ~360-1440 points.
const RANGES: Record<TStatsRange, { seconds: number; resolution: number }> = {
  '5m': { seconds: 300, resolution: 1 },
  '1h': { seconds: 3600, resolution: 10 },
  '24h': { seconds: 86_400, resolution: 60 },
};

/**
 * A pool's traffic over a range, summed over its backends (latency: the worst backend). Counters
 * are totals per point: divide by `resolutionSeconds` for a rate.
 */
export async function getStatsHistory(prisma: PrismaClient, store: StatsStore | undefined, poolId: string, range: TStatsRange): Promise<StatsHistory> {
  const { seconds, resolution } = RANGES[range];
  if (range === '5m') {
    const points = (store?.recent(poolId, seconds) ?? []).map((s) => {
      const { requests, responses5xx, errors, activeConnections, p99Ms } = sumPoolTraffic(Object.values(s.backends));
      return { ts: s.ts, requests, responses5xx, errors, activeConnections, p99Ms, backends: s.backends };
    });
    return { poolId, range, resolutionSeconds: resolution, points };
  }
  // Whole intervals only: one that began before the range, or whose last 10 s bucket may not be
  // rolled up yet (a bucket is written up to 10 s after it ends), would read low, a false dip.
  const step = resolution * 1000;
  const now = Date.now();
  const since = new Date(Math.ceil((now - seconds * 1000) / step) * step);
  const until = new Date(Math.floor((now - ROLLUP_LAG_MS) / step) * step);
  // Sum per 10 s bucket over backends first, then coarsen: active connections are a gauge, so
  // the coarse point keeps the busiest bucket rather than a sum over time.
  const rows = await prisma.$queryRaw<{ ts: Date; requests: bigint; responses5xx: bigint; errors: bigint; active: bigint; p99: number }[]>`
    WITH per_bucket AS (
      SELECT "bucket", SUM("requests") AS requests, SUM("responses5xx") AS r5, SUM("errors") AS errors,
             SUM("activeConnections") AS active, MAX("p99Ms") AS p99
      FROM "StatsRollup" WHERE "poolId" = ${poolId} AND "bucket" >= ${since} AND "bucket" < ${until}
      GROUP BY "bucket"
    )
    SELECT to_timestamp(floor(extract(epoch FROM "bucket") / ${resolution}) * ${resolution}) AS ts,
           SUM(requests)::bigint AS requests, SUM(r5)::bigint AS "responses5xx", SUM(errors)::bigint AS errors,
           MAX(active)::bigint AS active, MAX(p99)::float8 AS p99
    FROM per_bucket GROUP BY 1 ORDER BY 1`;
  return {
    poolId,
    range,
    resolutionSeconds: resolution,
    points: rows.map((r) => ({ ts: r.ts.getTime(), requests: Number(r.requests), responses5xx: Number(r.responses5xx), errors: Number(r.errors), activeConnections: Number(r.active), p99Ms: r.p99 })),
  };
}
