/**
 * The live tail across control-plane replicas (a benchmark, not a test): two hubs on one
 * PostgreSQL, DATAPLANES link clients on the first sending a full tail (200 lines/s each, in
 * batches every 250 ms, as real data planes do), an operator watching the pool on the second.
 * Prints the time from a line leaving its data plane to the watcher on the other replica, the
 * notifications and bytes per second, how long a new watch takes to reach the data planes,
 * and, for the choice, the same lines shipped as rows + NOTIFY of the row id instead.
 * Usage: pnpm --filter @fulcrum/api bench:tail
 */
import { createPgListener } from '@fulcrum/db';
import { freePort } from '@fulcrum/db/testing';
import type { TAccessRecord } from '@fulcrum/protocol';
import { accessRecord } from '@fulcrum/test-support';
import WebSocket from 'ws';
import { setHub } from '../src/hub/dataplane-hub';
import { createCaller } from '../src/root';
import { createApiToken } from '../src/services/tokens/api-tokens';
import { pct, run, twoReplicas, until } from './bench-support';

const DATAPLANES = 3;
const SECONDS = 20;
const WATCH_CYCLES = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A line as a browser request makes it: a path with a query, a user agent, a referer. */
const line = (poolId: string, requestId: string): TAccessRecord =>
  accessRecord({
    time: new Date().toISOString(),
    poolId,
    pool: 'bench',
    path: `/api/v1/orders/${requestId.length}?page=2&sort=created`,
    requestId,
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
    referer: 'https://shop.example.com/orders',
    upstream: '10.0.3.17:8080',
  });

async function main() {
  const { prisma, first, second, link, ctx, db, close } = await twoReplicas();
  // The dashboard's tRPC calls (tail.watch) are served by the second replica.
  setHub(second);
  const pool = await createCaller(ctx).pools.create({ name: 'bench', listenHost: '127.0.0.1', listenPort: await freePort(), healthCheck: { enabled: false } as never });
  const rev = (await prisma.configRevision.findFirst({ orderBy: { version: 'desc' } }))!;

  const clients: { ws: WebSocket; tailing: boolean; toldAt: number }[] = [];
  for (let i = 0; i < DATAPLANES; i++) {
    const token = (await createApiToken(prisma, { name: `bench-dp-${i}`, role: 'dataplane' })).token;
    const ws = new WebSocket(link.url, { headers: { authorization: `Bearer ${token}` } });
    const c = { ws, tailing: false, toldAt: 0 };
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', dataplaneId: `dp-${i}`, name: `dp-${i}`, softwareVersion: 'bench', configVersion: rev.version, configHash: rev.hash })));
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string; poolIds?: string[] };
      if (msg.type !== 'tail') return;
      c.tailing = msg.poolIds!.includes(pool.id);
      c.toldAt = performance.now();
    });
    clients.push(c);
  }
  await until('links', () => first.connectedIds().length === DATAPLANES);

  // A watch opened on the second replica, until the data planes on the first are asked (and, closed, told to stop).
  const watchStart: number[] = [];
  const watchStop: number[] = [];
  for (let i = 0; i < WATCH_CYCLES; i++) {
    const leave = new AbortController();
    const it = (await createCaller(ctx, { signal: leave.signal }).tail.watch({ poolId: pool.id }))[Symbol.asyncIterator]();
    const t0 = performance.now();
    await it.next();
    await until('the data planes asked', () => clients.every((c) => c.tailing));
    watchStart.push(Math.max(...clients.map((c) => c.toldAt)) - t0);
    const t1 = performance.now();
    leave.abort();
    await it.return?.(undefined);
    await until('the data planes told to stop', () => clients.every((c) => !c.tailing));
    watchStop.push(Math.max(...clients.map((c) => c.toldAt)) - t1);
  }

  // A full tail from every data plane for SECONDS, watched on the second replica.
  const leave = new AbortController();
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  let got = 0;
  let dropped = 0;
  const stream = await createCaller(ctx, { signal: leave.signal }).tail.watch({ poolId: pool.id });
  const reading = (async () => {
    for await (const b of stream) {
      const now = performance.now();
      dropped += b.dropped;
      for (const l of b.lines) {
        got++;
        const t = sentAt.get(l.requestId);
        if (t !== undefined) latencies.push(now - t);
      }
    }
  })();
  await until('the data planes asked', () => clients.every((c) => c.tailing));
  const before = { ...first.tailFeed.counters };
  let bytesOnLink = 0;
  const t0 = performance.now();
  for (let tick = 0; tick < SECONDS * 4; tick++) {
    await sleep(Math.max(0, t0 + tick * 250 - performance.now()));
    for (const [i, c] of clients.entries()) {
      const lines = Array.from({ length: 50 }, (_, j) => line(pool.id, `dp-${i}-${tick}-${j}`));
      for (const l of lines) sentAt.set(l.requestId, performance.now());
      const text = JSON.stringify({ type: 'tail_lines', lines, dropped: 0 });
      bytesOnLink += text.length;
      c.ws.send(text);
    }
  }
  const sent = DATAPLANES * SECONDS * 200;
  await until('the last lines', () => got + dropped >= sent, 30_000).catch(() => {});
  leave.abort();
  await reading.catch(() => {});
  const after = first.tailFeed.counters;

  // The same second's lines as rows instead: INSERT (jsonb) + NOTIFY of the id, then a SELECT by id on the other side.
  await prisma.$executeRawUnsafe('CREATE TABLE bench_tail_rows (id bigserial PRIMARY KEY, lines jsonb NOT NULL)');
  const rowLatencies: number[] = [];
  const heardRow = new Map<string, number>();
  const listener = createPgListener(db.url, ['bench_tail_rows'], (_c, payload) => {
    const [id, tag] = payload.split('|') as [string, string];
    const t = heardRow.get(tag);
    void prisma.$queryRawUnsafe(`SELECT lines FROM bench_tail_rows WHERE id = ${Number(id)}`).then(() => t !== undefined && rowLatencies.push(performance.now() - t));
  });
  await listener.ready;
  const ROW_TICKS = 40;
  const r0 = performance.now();
  const inserts: Promise<void>[] = [];
  for (let tick = 0; tick < ROW_TICKS; tick++) {
    await sleep(Math.max(0, r0 + tick * 250 - performance.now()));
    for (let i = 0; i < DATAPLANES; i++) {
      const lines = JSON.stringify(Array.from({ length: 50 }, (_, j) => line(pool.id, `row-${i}-${tick}-${j}`)));
      const tag = `row-${i}-${tick}`;
      heardRow.set(tag, performance.now());
      inserts.push(
        prisma
          .$executeRawUnsafe(`WITH ins AS (INSERT INTO bench_tail_rows (lines) VALUES ($1::jsonb) RETURNING id) SELECT pg_notify('bench_tail_rows', ins.id::text || '|' || $2) FROM ins`, lines, tag)
          .then(() => {}),
      );
    }
  }
  await Promise.all(inserts);
  await until('the rows read', () => rowLatencies.length >= ROW_TICKS * DATAPLANES, 30_000).catch(() => {});
  const rowBytes = await prisma.$queryRawUnsafe<{ b: bigint }[]>('SELECT COALESCE(SUM(pg_column_size(lines)), 0)::bigint AS b FROM bench_tail_rows');
  await listener.close();

  const notes = after.published - before.published;
  console.log(`live tail across replicas: ${DATAPLANES} data planes on the first replica at 200 lines/s each, watched on the second, ${SECONDS} s`);
  console.log(
    `  watch opened on the second -> data planes on the first asked: median ${pct(watchStart, 0.5).toFixed(1)} ms, max ${Math.max(...watchStart).toFixed(1)} ms; closed -> told to stop: median ${pct(watchStop, 0.5).toFixed(1)} ms (${WATCH_CYCLES} cycles)`,
  );
  console.log(
    `  line -> watcher on the other replica: median ${pct(latencies, 0.5).toFixed(1)} ms, p99 ${pct(latencies, 0.99).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms; ${got} of ${sent} lines shown, ${dropped} counted as dropped (${first.reports.dropped.tailLines} over the 200 lines/s bound on the first replica: batches late on a busy machine bunch up)`,
  );
  console.log(
    `  NOTIFY: ${(notes / SECONDS).toFixed(1)} notifications/s, ${((after.publishedLines - before.publishedLines) / Math.max(1, notes)).toFixed(1)} lines each; link ${(bytesOnLink / SECONDS / 1024).toFixed(1)} KiB/s; feed counters ${JSON.stringify(after)}`,
  );
  console.log(
    `  rows + NOTIFY instead (50 lines a row, 4 rows/s per data plane, ${ROW_TICKS / 4} s): insert -> read on the other side median ${pct(rowLatencies, 0.5).toFixed(1)} ms, p99 ${pct(rowLatencies, 0.99).toFixed(1)} ms (${rowLatencies.length} rows); ${(Number(rowBytes[0]!.b) / rowLatencies.length / 1024).toFixed(1)} KiB of jsonb a row to write, WAL and prune`,
  );

  for (const c of clients) c.ws.close();
  await close();
}

run(main);
