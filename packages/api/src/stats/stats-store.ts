import type { PrismaClient } from '@fulcrum/db';
import { type TBackendStats, type TPoolClientStats, type TStatsFrame, emptyBackendStats, mergeBackendStats, mergeClientStats } from '@fulcrum/protocol';

const WINDOW_SECONDS = 15 * 60;
/** Buckets of this many seconds are rolled up into Postgres, each once it is over, on a timer of the same period. */
export const ROLLUP_SECONDS = 10;

export interface BackendPoint extends Omit<TBackendStats, 'backendId'> {
  /** Second (ms since epoch, floored) this point covers. */
  ts: number;
  /** Data planes that reported it. */
  dataplanes: number;
}

export interface PoolSecond {
  ts: number;
  backends: Record<string, BackendPoint>;
  /** What the pool's clients got, merged over the data planes that report it (absent from older data planes). */
  client?: TPoolClientStats;
  /** Data planes whose frames are in this second. */
  reporters?: string[];
}

function emptyPoint(ts: number): BackendPoint {
  return { ts, dataplanes: 0, ...emptyBackendStats() };
}

/** One backend's 10-second bucket as stored in StatsRollup. */
interface RollupRow {
  bucket: Date;
  poolId: string;
  backendId: string;
  requests: number;
  responses2xx: number;
  responses3xx: number;
  responses4xx: number;
  responses5xx: number;
  errors: number;
  bytesIn: bigint;
  bytesOut: bigint;
  activeConnections: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

/**
 * Live traffic per pool and backend, merged across data planes (mergeBackendStats), one point
 * per second for the last 15 minutes (a ring per pool), rolled up into PostgreSQL every 10 s
 * for longer history.
 */
export class StatsStore {
  private pools = new Map<string, PoolSecond[]>();
  private listeners = new Set<(poolId: string, second: PoolSecond) => void>();
  private rollupTimer: NodeJS.Timeout | undefined;

  add(frame: TStatsFrame): void {
    const ts = Math.floor(frame.ts / 1000) * 1000;
    for (const pool of frame.pools) {
      const ring = this.pools.get(pool.poolId) ?? [];
      this.pools.set(pool.poolId, ring);
      // Frames arrive in time order, so the second is at (or near) the end of the ring.
      let second: PoolSecond | undefined;
      for (let i = ring.length - 1; i >= 0 && ring[i]!.ts >= ts; i--) if (ring[i]!.ts === ts) second = ring[i];
      if (!second) {
        second = { ts, backends: {} };
        ring.push(second);
        ring.sort((a, b) => a.ts - b.ts);
        while (ring.length && ring[0]!.ts < ts - WINDOW_SECONDS * 1000) ring.shift();
      }
      for (const b of pool.backends) {
        const p = (second.backends[b.backendId] ??= emptyPoint(ts));
        p.dataplanes++;
        mergeBackendStats(p, b);
      }
      if (pool.client) {
        if (second.client) mergeClientStats(second.client, pool.client);
        else second.client = structuredClone(pool.client);
      }
      (second.reporters ??= []).includes(frame.dataplaneId) || second.reporters.push(frame.dataplaneId);
      for (const l of this.listeners) l(pool.poolId, second);
    }
  }

  /** The last `seconds` of a pool, oldest first. */
  recent(poolId: string, seconds = WINDOW_SECONDS): PoolSecond[] {
    const ring = this.pools.get(poolId) ?? [];
    const since = Date.now() - seconds * 1000;
    return ring.filter((s) => s.ts >= since);
  }

  /** Every pool's merged second starting at `ts` (or one pool's), for live views. */
  secondAt(ts: number, poolId?: string): Record<string, Record<string, BackendPoint>> {
    const out: Record<string, Record<string, BackendPoint>> = {};
    for (const [id, ring] of this.pools) {
      if (poolId && id !== poolId) continue;
      for (let i = ring.length - 1; i >= 0 && ring[i]!.ts >= ts; i--) if (ring[i]!.ts === ts) out[id] = ring[i]!.backends;
    }
    return out;
  }

  /** Every pool's whole merged second starting at `ts` (or one pool's): backends, client counters, reporters. */
  poolsAt(ts: number, poolId?: string): Record<string, PoolSecond> {
    const out: Record<string, PoolSecond> = {};
    for (const [id, ring] of this.pools) {
      if (poolId && id !== poolId) continue;
      for (let i = ring.length - 1; i >= 0 && ring[i]!.ts >= ts; i--) if (ring[i]!.ts === ts) out[id] = ring[i]!;
    }
    return out;
  }

  subscribe(listener: (poolId: string, second: PoolSecond) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Every 10 s, the finished 10-second buckets go to PostgreSQL (retention/ prunes old ones). */
  startRollups(prisma: PrismaClient): void {
    if (this.rollupTimer) return;
    let lastBucket = Math.floor(Date.now() / 10_000) * 10_000;
    this.rollupTimer = setInterval(() => {
      const current = Math.floor(Date.now() / 10_000) * 10_000;
      const from = lastBucket;
      lastBucket = current;
      void this.rollup(prisma, from, current).catch(() => {});
    }, ROLLUP_SECONDS * 1000);
    this.rollupTimer.unref();
  }

  stopRollups(): void {
    if (this.rollupTimer) clearInterval(this.rollupTimer);
    this.rollupTimer = undefined;
  }

  async rollup(prisma: PrismaClient, from: number, to: number): Promise<number> {
    const rows: RollupRow[] = [];
    for (const [poolId, ring] of this.pools) {
      // One accumulator per backend: counters add up over the bucket, gauges keep the worst second.
      const perBackend = new Map<string, RollupRow>();
      for (const s of ring) {
        if (s.ts < from || s.ts >= to) continue;
        const bucket = new Date(Math.floor(s.ts / 10_000) * 10_000);
        for (const [backendId, p] of Object.entries(s.backends)) {
          const key = `${bucket.getTime()}|${backendId}`;
          let r = perBackend.get(key);
          if (!r) {
            r = { bucket, poolId, backendId, requests: 0, responses2xx: 0, responses3xx: 0, responses4xx: 0, responses5xx: 0, errors: 0, bytesIn: 0n, bytesOut: 0n, activeConnections: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0 };
            perBackend.set(key, r);
            rows.push(r);
          }
          r.requests += p.requests;
          r.responses2xx += p.responses['2xx'];
          r.responses3xx += p.responses['3xx'];
          r.responses4xx += p.responses['4xx'];
          r.responses5xx += p.responses['5xx'];
          r.errors += p.errors.connect + p.errors.timeout + p.errors.reset;
          r.bytesIn += BigInt(p.bytesIn);
          r.bytesOut += BigInt(p.bytesOut);
          r.activeConnections = Math.max(r.activeConnections, p.activeConnections);
          r.p50Ms = Math.max(r.p50Ms, p.latencyMs.p50);
          r.p95Ms = Math.max(r.p95Ms, p.latencyMs.p95);
          r.p99Ms = Math.max(r.p99Ms, p.latencyMs.p99);
        }
      }
    }
    await this.rollupPools(prisma, from, to);
    // One INSERT per chunk with a column array each (unnest): tens of thousands of rows in well
    // under a second, where a row-per-parameter-set insert took seconds.
    for (let i = 0; i < rows.length; i += 10_000) {
      const chunk = rows.slice(i, i + 10_000);
      const col = <K extends keyof RollupRow>(k: K) => chunk.map((r) => r[k]);
      await prisma.$executeRaw`
        INSERT INTO "StatsRollup" ("bucket", "poolId", "backendId", "requests", "responses2xx", "responses3xx", "responses4xx", "responses5xx", "errors", "bytesIn", "bytesOut", "activeConnections", "p50Ms", "p95Ms", "p99Ms")
        SELECT * FROM unnest(${col('bucket')}::timestamp[], ${col('poolId')}::text[], ${col('backendId')}::text[], ${col('requests')}::int[], ${col('responses2xx')}::int[],
          ${col('responses3xx')}::int[], ${col('responses4xx')}::int[], ${col('responses5xx')}::int[], ${col('errors')}::int[], ${col('bytesIn').map(String)}::bigint[],
          ${col('bytesOut').map(String)}::bigint[], ${col('activeConnections')}::int[], ${col('p50Ms')}::float8[], ${col('p95Ms')}::float8[], ${col('p99Ms')}::float8[])
        ON CONFLICT ("bucket", "backendId") DO NOTHING`;
    }
    return rows.length;
  }

  /** The pools' client counters per 10 s bucket, histograms added bucket by bucket. */
  private async rollupPools(prisma: PrismaClient, from: number, to: number): Promise<void> {
    const rows: { bucket: Date; poolId: string; c: TPoolClientStats }[] = [];
    for (const [poolId, ring] of this.pools) {
      const perBucket = new Map<number, TPoolClientStats>();
      for (const s of ring) {
        if (s.ts < from || s.ts >= to || !s.client) continue;
        const bucket = Math.floor(s.ts / 10_000) * 10_000;
        const c = perBucket.get(bucket);
        if (c) mergeClientStats(c, s.client);
        else perBucket.set(bucket, structuredClone(s.client));
      }
      for (const [bucket, c] of perBucket) rows.push({ bucket: new Date(bucket), poolId, c });
    }
    if (rows.length === 0) return;
    await prisma.poolStatsRollup.createMany({
      data: rows.map(({ bucket, poolId, c }) => ({
        bucket,
        poolId,
        responses1xx: c.responses['1xx'],
        responses2xx: c.responses['2xx'],
        responses3xx: c.responses['3xx'],
        responses4xx: c.responses['4xx'],
        responses5xx: c.responses['5xx'],
        proxyResponses: c.proxyResponses,
        connAccepted: c.connections.accepted,
        connRefused: c.connections.refused,
        connReset: c.connections.reset,
        retries: c.retries,
        bytesIn: BigInt(c.bytesIn),
        bytesOut: BigInt(c.bytesOut),
        latencyCounts: c.latency.counts,
        latencySumMs: c.latency.sumMs,
      })),
      skipDuplicates: true,
    });
  }
}
