import type { PrismaClient } from '@fulcrum/db';
import { type TLatencyHistogram, type TPoolTraffic, type TProxyCause, emptyHistogram, histogramPercentiles, mergeHistogram, sumPoolTraffic } from '@fulcrum/protocol';
import { type BackendPoint, ROLLUP_SECONDS, ROLLUP_SETTLE_MS, type StatsStore } from '../../stats/stats-store';

export type TStatsRange = '5m' | '1h' | '24h';

export interface HistoryPoint extends Omit<TPoolTraffic, 'healthy' | 'reported'> {
  /** Start of the point's interval, ms since epoch. */
  ts: number;
  /** Upstream attempts (retries included). */
  requests: number;
  /** Per backend, on the '5m' range only (memory keeps seconds per backend; the rollups are read as pool totals). */
  backends?: Record<string, BackendPoint>;
}

export interface StatsHistory {
  poolId: string;
  range: TStatsRange;
  resolutionSeconds: number;
  points: HistoryPoint[];
}

// A finished bucket reaches Postgres up to the settle time plus one rollup period after it ends.
const ROLLUP_LAG_MS = ROLLUP_SETTLE_MS + ROLLUP_SECONDS * 1000;

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
      const { healthy: _h, reported: _r, ...t } = sumPoolTraffic(Object.values(s.backends), s.client);
      const requests = Object.values(s.backends).reduce((n, b) => n + b.requests, 0);
      return { ts: s.ts, requests, ...t, backends: s.backends };
    });
    return { poolId, range, resolutionSeconds: resolution, points };
  }
  // Whole intervals only: one that began before the range, or whose last 10 s bucket may not be
  // rolled up yet (a bucket is written up to 15 s after it ends), would read low, a false dip.
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
  const clients = await poolClientPoints(prisma, poolId, since, until, step);
  return {
    poolId,
    range,
    resolutionSeconds: resolution,
    points: rows.map((r) => {
      const ts = r.ts.getTime();
      const c = clients.get(ts);
      // Without client counters (older data planes) the backends' answers stand in, as sumPoolTraffic does.
      const fallback = { responses: Number(r.requests), responses5xx: Number(r.responses5xx), causes: {}, retries: 0, p50Ms: 0, p95Ms: 0, p99Ms: r.p99, clientSide: false };
      return { ts, requests: Number(r.requests), upstreamErrors: Number(r.errors), activeConnections: Number(r.active), ...(c ?? fallback) };
    }),
  };
}

type ClientPoint = Pick<HistoryPoint, 'responses' | 'responses5xx' | 'causes' | 'retries' | 'p50Ms' | 'p95Ms' | 'p99Ms' | 'clientSide'>;

/** The pool's client counters per coarse point, from the 10 s rollups; percentiles from the merged histograms. */
async function poolClientPoints(prisma: PrismaClient, poolId: string, since: Date, until: Date, step: number): Promise<Map<number, ClientPoint>> {
  const rows = await prisma.poolStatsRollup.findMany({ where: { poolId, bucket: { gte: since, lt: until } }, orderBy: { bucket: 'asc' } });
  const acc = new Map<number, { p: ClientPoint; h: TLatencyHistogram }>();
  for (const r of rows) {
    const ts = Math.floor(r.bucket.getTime() / step) * step;
    let a = acc.get(ts);
    if (!a) {
      a = { p: { responses: 0, responses5xx: 0, causes: {}, retries: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, clientSide: true }, h: emptyHistogram() };
      acc.set(ts, a);
    }
    a.p.responses += r.responses1xx + r.responses2xx + r.responses3xx + r.responses4xx + r.responses5xx;
    a.p.responses5xx += r.responses5xx;
    a.p.retries += r.retries;
    for (const [k, n] of Object.entries((r.proxyResponses ?? {}) as Record<string, number>)) a.p.causes[k as TProxyCause] = (a.p.causes[k as TProxyCause] ?? 0) + n;
    if (r.latencyCounts.length === a.h.counts.length) mergeHistogram(a.h, { counts: r.latencyCounts, sumMs: r.latencySumMs });
  }
  const out = new Map<number, ClientPoint>();
  for (const [ts, { p, h }] of acc) {
    const q = histogramPercentiles(h);
    out.set(ts, { ...p, p50Ms: q.p50, p95Ms: q.p95, p99Ms: q.p99 });
  }
  return out;
}
