/**
 * Stats across control-plane replicas (a benchmark, not a test): two hubs on one PostgreSQL,
 * 3 data planes (link clients) x 10 pools x 3 backends linked to the first, one frame a second
 * each with histograms and client counters, as real data planes send. Prints the frame size
 * (against NOTIFY's 8000-byte payload limit), the time from a frame leaving its data plane to
 * its second being in the other replica's store, and the database writes per second.
 * Usage: pnpm --filter @fulcrum/api bench:replicas
 */
import { freePort } from '@fulcrum/db/testing';
import { type TBackendStats, type TPoolStats, type TStatsFrame, emptyClientStats, emptyHistogram, latencyBucket } from '@fulcrum/protocol';
import WebSocket from 'ws';
import { createCaller } from '../src/root';
import { createApiToken } from '../src/services/tokens/api-tokens';
import { backendSecond } from '../src/stats/fixtures/stats-frames';
import { pct, run, twoReplicas, until } from './bench-support';

const DATAPLANES = 3;
const POOLS = 10;
const BACKENDS = 3;
const SECONDS = 30;

function poolStats(poolId: string, backendIds: string[]): TPoolStats {
  const latency = emptyHistogram();
  for (const ms of [1, 2, 3, 5, 8, 13, 40, 120]) latency.counts[latencyBucket(ms)] = 12;
  latency.sumMs = 2300;
  const backends: TBackendStats[] = backendIds.map((backendId) =>
    backendSecond(backendId, 33, {
      responses: { '1xx': 0, '2xx': 32, '3xx': 0, '4xx': 0, '5xx': 1 },
      activeConnections: 4,
      bytesIn: 9000,
      bytesOut: 90_000,
      latencyMs: { p50: 3, p95: 40, p99: 120 },
      latency: structuredClone(latency),
    }),
  );
  const client = emptyClientStats();
  client.responses['2xx'] = 96;
  client.responses['5xx'] = 3;
  client.latency = structuredClone(latency);
  return { poolId, backends, client };
}

async function main() {
  const { prisma, first, second, link, ctx, close } = await twoReplicas();
  const caller = createCaller(ctx);
  const scope: { poolId: string; backendIds: string[] }[] = [];
  for (let i = 0; i < POOLS; i++) {
    const pool = await caller.pools.create({ name: `bench-${i}`, listenHost: '127.0.0.1', listenPort: await freePort(), healthCheck: { enabled: false } as never });
    const backendIds: string[] = [];
    for (let j = 0; j < BACKENDS; j++) backendIds.push((await caller.backends.create({ poolId: pool.id, host: '127.0.0.1', port: 10_000 + j })).id);
    scope.push({ poolId: pool.id, backendIds });
  }
  const version = (await caller.revisions.list({ limit: 1 }))[0]!.version;

  // Link clients that ack every snapshot, then send a frame a second.
  const clients: WebSocket[] = [];
  for (let i = 0; i < DATAPLANES; i++) {
    const token = (await createApiToken(prisma, { name: `bench-dp-${i}`, role: 'dataplane' })).token;
    const ws = new WebSocket(link.url, { headers: { authorization: `Bearer ${token}` } });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', dataplaneId: `dp-${i}`, name: `dp-${i}`, softwareVersion: 'bench', configVersion: null, configHash: null })));
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string; version: number; hash: string };
      if (msg.type === 'snapshot') ws.send(JSON.stringify({ type: 'ack', version: msg.version, hash: msg.hash }));
    });
    clients.push(ws);
  }
  await until('acks', () => first.connectedIds().length === DATAPLANES);
  await new Promise((r) => setTimeout(r, 1000));

  // Time from a frame leaving its data plane to its second reaching the other replica's store.
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  second.stats.subscribe((poolId, s) => {
    for (const dp of s.reporters ?? []) {
      const key = `${dp}|${s.ts}`;
      const t = sentAt.get(key);
      if (t !== undefined && poolId === scope[0]!.poolId) {
        latencies.push(performance.now() - t);
        sentAt.delete(key);
      }
    }
  });
  const rowsBefore = await prisma.statsFrame.count();
  const sizeBefore = await prisma.$queryRaw<{ b: bigint }[]>`SELECT COALESCE(SUM(pg_column_size("frame")), 0)::bigint AS b FROM "StatsFrame"`;
  let frameBytes = 0;
  const start = Math.ceil(Date.now() / 1000) * 1000;
  for (let s = 0; s < SECONDS; s++) {
    const ts = start + s * 1000;
    await new Promise((r) => setTimeout(r, Math.max(0, ts + 50 - Date.now())));
    for (const [i, ws] of clients.entries()) {
      const frame: TStatsFrame = { dataplaneId: `dp-${i}`, ts, intervalMs: 1000, configVersion: version, pools: scope.map((p) => poolStats(p.poolId, p.backendIds)) };
      const text = JSON.stringify({ type: 'stats', frame });
      frameBytes = text.length;
      sentAt.set(`dp-${i}|${ts}`, performance.now());
      ws.send(text);
    }
  }
  await until('the last frames on the second replica', () => latencies.length >= DATAPLANES * SECONDS, 30_000).catch(() => {});
  const rows = (await prisma.statsFrame.count()) - rowsBefore;
  const sizeAfter = await prisma.$queryRaw<{ b: bigint }[]>`SELECT COALESCE(SUM(pg_column_size("frame")), 0)::bigint AS b FROM "StatsFrame"`;
  const stored = Number(sizeAfter[0]!.b - sizeBefore[0]!.b);
  console.log(`replicas: ${DATAPLANES} data planes x ${POOLS} pools x ${BACKENDS} backends, ${SECONDS} s`);
  console.log(`  frame on the wire ${(frameBytes / 1024).toFixed(1)} KiB (NOTIFY payloads stop at 8000 bytes: a frame does not fit one)`);
  console.log(
    `  frame -> other replica's store: median ${pct(latencies, 0.5).toFixed(1)} ms, p99 ${pct(latencies, 0.99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms (${latencies.length} of ${DATAPLANES * SECONDS} frames seen)`,
  );
  console.log(
    `  database: ${(rows / SECONDS).toFixed(1)} rows/s (one INSERT + NOTIFY per frame), ${(stored / SECONDS / 1024).toFixed(1)} KiB/s of frame data (jsonb, compressed), 15 min kept: ~${(((stored / SECONDS) * 900) / 1024 / 1024).toFixed(1)} MiB`,
  );
  console.log(`  feed counters first: ${JSON.stringify(first.feed.counters)}; second: ${JSON.stringify(second.feed.counters)}`);

  for (const c of clients) c.close();
  await close();
}

run(main);
