import type { PrismaClient } from '@fulcrum/db';
import { type TPoolClientStats, ZStatsFrame, mergeClientStats } from '@fulcrum/protocol';
import { StatsStore } from './stats-store';

/** One backend's 10-second bucket of one data plane, as stored in StatsRollup. */
export interface RollupRow {
  bucket: Date;
  dataplaneId: string;
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
 * Rolls up the 10 s buckets in [from, to) of every data plane whose frames this replica
 * received, from all of that data plane's stored frames in the bucket (whichever replica took
 * them, so a data plane that moved between replicas mid-bucket is counted whole). A row is
 * keyed by bucket and data plane, and written as an upsert of the whole bucket: any replica
 * running it again writes the same numbers, never a second or a partial row.
 */
export async function rollupFrames(prisma: PrismaClient, controlPlaneId: string, from: number, to: number): Promise<number> {
  const since = new Date(from);
  const until = new Date(to);
  const rows = await prisma.$queryRaw<{ dataplaneId: string; frame: unknown }[]>`
    SELECT "dataplaneId", "frame" FROM "StatsFrame"
    WHERE "ts" >= ${since} AND "ts" < ${until}
      AND "dataplaneId" IN (SELECT DISTINCT "dataplaneId" FROM "StatsFrame" WHERE "controlPlaneId" = ${controlPlaneId} AND "ts" >= ${since} AND "ts" < ${until})
    ORDER BY "ts"`;
  const perDataplane = new Map<string, StatsStore>();
  for (const r of rows) {
    // Written by a replica after its report guard; parsed again so a hand-edited row cannot throw here.
    const frame = ZStatsFrame.safeParse(r.frame);
    if (!frame.success) continue;
    let store = perDataplane.get(r.dataplaneId);
    if (!store) perDataplane.set(r.dataplaneId, (store = new StatsStore()));
    store.add(frame.data);
  }
  let written = 0;
  for (const [dataplaneId, store] of perDataplane) written += await rollupStore(prisma, store, dataplaneId, from, to);
  return written;
}

/** Writes the buckets in [from, to) of a store holding one data plane's seconds, as that data plane's rows. */
export async function rollupStore(prisma: PrismaClient, store: StatsStore, dataplaneId: string, from: number, to: number): Promise<number> {
  const rows = backendRows(store, dataplaneId, from, to);
  // One INSERT per chunk with a column array each (unnest): tens of thousands of rows in well
  // under a second, where a row-per-parameter-set insert took seconds.
  for (let i = 0; i < rows.length; i += 10_000) {
    const chunk = rows.slice(i, i + 10_000);
    const col = <K extends keyof RollupRow>(k: K) => chunk.map((r) => r[k]);
    await prisma.$executeRaw`
      INSERT INTO "StatsRollup" ("bucket", "dataplaneId", "poolId", "backendId", "requests", "responses2xx", "responses3xx", "responses4xx", "responses5xx", "errors", "bytesIn", "bytesOut", "activeConnections", "p50Ms", "p95Ms", "p99Ms")
      SELECT * FROM unnest(${col('bucket')}::timestamp[], ${col('dataplaneId')}::text[], ${col('poolId')}::text[], ${col('backendId')}::text[], ${col('requests')}::int[], ${col('responses2xx')}::int[],
        ${col('responses3xx')}::int[], ${col('responses4xx')}::int[], ${col('responses5xx')}::int[], ${col('errors')}::int[], ${col('bytesIn').map(String)}::bigint[],
        ${col('bytesOut').map(String)}::bigint[], ${col('activeConnections')}::int[], ${col('p50Ms')}::float8[], ${col('p95Ms')}::float8[], ${col('p99Ms')}::float8[])
      ON CONFLICT ("bucket", "dataplaneId", "backendId") DO UPDATE SET
        "poolId" = EXCLUDED."poolId", "requests" = EXCLUDED."requests", "responses2xx" = EXCLUDED."responses2xx", "responses3xx" = EXCLUDED."responses3xx",
        "responses4xx" = EXCLUDED."responses4xx", "responses5xx" = EXCLUDED."responses5xx", "errors" = EXCLUDED."errors", "bytesIn" = EXCLUDED."bytesIn",
        "bytesOut" = EXCLUDED."bytesOut", "activeConnections" = EXCLUDED."activeConnections", "p50Ms" = EXCLUDED."p50Ms", "p95Ms" = EXCLUDED."p95Ms", "p99Ms" = EXCLUDED."p99Ms"`;
  }
  await writePoolRows(prisma, store, dataplaneId, from, to);
  return rows.length;
}

/** A backend's bucket before anything is added to it (the rollup's accumulator; tests' rows start from it too). */
export function zeroRollupRow(key: Pick<RollupRow, 'bucket' | 'poolId' | 'backendId'> & { dataplaneId?: string }): RollupRow {
  return {
    dataplaneId: '',
    ...key,
    requests: 0,
    responses2xx: 0,
    responses3xx: 0,
    responses4xx: 0,
    responses5xx: 0,
    errors: 0,
    bytesIn: 0n,
    bytesOut: 0n,
    activeConnections: 0,
    p50Ms: 0,
    p95Ms: 0,
    p99Ms: 0,
  };
}

function backendRows(store: StatsStore, dataplaneId: string, from: number, to: number): RollupRow[] {
  const rows: RollupRow[] = [];
  for (const [poolId, ring] of store.rings()) {
    // One accumulator per backend: counters add up over the bucket, gauges keep the worst second.
    const perBackend = new Map<string, RollupRow>();
    for (const s of ring) {
      if (s.ts < from || s.ts >= to) continue;
      const bucket = new Date(Math.floor(s.ts / 10_000) * 10_000);
      for (const [backendId, p] of Object.entries(s.backends)) {
        const key = `${bucket.getTime()}|${backendId}`;
        let r = perBackend.get(key);
        if (!r) {
          r = zeroRollupRow({ bucket, dataplaneId, poolId, backendId });

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
  return rows;
}

/** The pools' client counters per 10 s bucket, histograms added bucket by bucket. */
async function writePoolRows(prisma: PrismaClient, store: StatsStore, dataplaneId: string, from: number, to: number): Promise<void> {
  const rows: { bucket: Date; poolId: string; c: TPoolClientStats }[] = [];
  for (const [poolId, ring] of store.rings()) {
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
  await prisma.$transaction(
    rows.map(({ bucket, poolId, c }) => {
      const data = poolRollupData(c);

      return prisma.poolStatsRollup.upsert({ where: { bucket_dataplaneId_poolId: { bucket, dataplaneId, poolId } }, create: { bucket, dataplaneId, poolId, ...data }, update: data });
    }),
  );
}

/** A pool's client counters as the columns of PoolStatsRollup. */
export function poolRollupData(c: TPoolClientStats) {
  return {
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
  };
}
