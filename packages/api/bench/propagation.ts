/**
 * Live-link figures (a benchmark, not a test): time from a committed revision to the ack of
 * every data plane with 1 and 20 connected (100 changes each), and the scale of 1,000 pools x
 * 10 backends: compile time, size on the wire, push-to-ack on a real data plane process, and
 * merging stats frames of 10,000 backends. Usage: pnpm --filter @fulcrum/api bench:propagation
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, freePort, stopTestServer } from '@fulcrum/db/testing';
import { type TStatsFrame, ZConfigSnapshot, ZDataplaneToControl } from '@fulcrum/protocol';
import WebSocket, { WebSocketServer } from 'ws';
import { DataplaneHub } from '../src/hub/dataplane-hub';
import { createCaller } from '../src/root';
import { createApiToken } from '../src/services/tokens/api-tokens';
import { backendSecond } from '../src/stats/fixtures/stats-frames';
import { rollupStore } from '../src/stats/stats-rollups';

const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;
const CLI = fileURLToPath(new URL('../../dataplane/src/cli.ts', import.meta.url));

async function until(what: string, check: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
}

async function main() {
  const db = await createTestDatabase();
  const prisma = db.prisma;
  const hub = new DataplaneHub(prisma, { controlPlaneId: 'bench' });
  hub.start(db.url);
  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 * 1024 });
  const http: Server = createServer();
  http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => hub.admit(ws, req.headers.authorization)));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `ws://127.0.0.1:${(http.address() as { port: number }).port}/ws/dataplane`;
  const token = (await createApiToken(prisma, { name: 'bench', role: 'dataplane' })).token;
  const admin = await prisma.user.create({ data: { email: 'bench@example.com', name: 'bench', passwordHash: 'x', role: 'admin' } });
  const caller = createCaller({ prisma, actor: { kind: 'user', id: admin.id, name: admin.email, role: 'admin' }, resHeaders: new Headers() });

  const acked = new Map<string, number>();
  const ackTimes = new Map<number, number[]>();
  hub.onAck((id, v) => {
    acked.set(id, Math.max(v, acked.get(id) ?? 0));
    ackTimes.set(v, [...(ackTimes.get(v) ?? []), performance.now()]);
  });

  const pool = await caller.pools.create({ name: 'bench', listenHost: '127.0.0.1', listenPort: await freePort(), healthCheck: { enabled: false } as never });
  let backend = await caller.backends.create({ poolId: pool.id, host: '127.0.0.1', port: 9 });

  // One real data plane process; more on one host could not bind the same listeners, so the
  // other 19 are link clients that validate each snapshot with the shared schema and ack it.
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-bench-state-'));
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', CLI, '--control-plane', url, '--token', token, '--name', 'bench-dp', '--state-dir', stateDir, '--admin', 'off'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const realId = () => [...acked.keys()].find((k) => k.startsWith('bench-dp'));
  await until('the data plane process to apply its first config', () => realId() !== undefined, 60_000);

  const clients: WebSocket[] = [];
  // Each link client its own token: a token speaks for one data plane.
  const clientTokens = await Promise.all(Array.from({ length: 20 }, async (_, i) => (await createApiToken(prisma, { name: `bench-client-${i}`, role: 'dataplane' })).token));
  const addClient = (i: number) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${clientTokens[i]}` }, maxPayload: 64 * 1024 * 1024 });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', dataplaneId: `client-${i}`, name: `client-${i}`, softwareVersion: 'bench', configVersion: null, configHash: null })));
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string; version: number; hash: string; config: unknown };
      if (msg.type !== 'snapshot') return;
      ZConfigSnapshot.parse(msg.config);
      ws.send(JSON.stringify({ type: 'ack', version: msg.version, hash: msg.hash }));
    });
    clients.push(ws);
  };

  const measure = async (label: string, expected: number) => {
    const times: number[] = [];
    const withCall: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now();
      backend = await caller.backends.update({ id: backend.id, expectedVersion: backend.version, patch: { weight: 1 + (i % 50) } });
      // The mutation resolves once its transaction (revision + NOTIFY) has committed.
      const committed = performance.now();
      const version = (await prisma.configRevision.findFirst({ orderBy: { version: 'desc' }, select: { version: true } }))!.version;
      await until(`version ${version} acked by ${expected}`, () => (ackTimes.get(version)?.length ?? 0) >= expected);
      const done = Math.max(...ackTimes.get(version)!);
      times.push(done - committed);
      withCall.push(done - t0);
    }
    console.log(
      `propagation, ${label}: commit -> every data plane acked: median ${fmt(pct(times, 0.5))}, p99 ${fmt(pct(times, 0.99))}; including the API call: median ${fmt(pct(withCall, 0.5))}, p99 ${fmt(pct(withCall, 0.99))} (100 changes)`,
    );
  };

  await measure('1 data plane', 1);
  for (let i = 0; i < 19; i++) addClient(i);
  await until('20 data planes', () => acked.size >= 20);
  await measure('20 data planes (1 process + 19 link clients)', 20);
  clients.forEach((c) => c.close());

  // Scale: 1,000 pools x 10 backends, pushed to the real data plane process.
  await prisma.pool.deleteMany();
  const ports = new Set<number>();
  while (ports.size < 1000) ports.add(await freePort());
  const template = {
    listenHost: '127.0.0.1',
    algorithm: 'round_robin',
    hashKey: { source: 'client_ip' },
    healthCheck: { enabled: false, type: 'http', path: '/', expectedStatusMin: 200, expectedStatusMax: 399, intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3 },
    outlierDetection: { enabled: true, consecutiveErrors: 5, baseEjectionMs: 30000, maxEjectionPercent: 50 },
    timeouts: { connectMs: 3000, firstByteMs: 30000, idleMs: 60000 },
    retries: { attempts: 2, on5xx: false, budgetPercent: 20 },
    stickiness: { mode: 'none', cookieName: 'FULCRUM_STICKY', headerName: 'x-fulcrum-sticky', ttlSeconds: 3600 },
  };
  await prisma.pool.createMany({ data: [...ports].map((p, i) => ({ ...template, name: `pool-${i}`, listenPort: p })) });
  const pools = await prisma.pool.findMany({ select: { id: true } });
  await prisma.backend.createMany({ data: pools.flatMap((p) => Array.from({ length: 10 }, (_, j) => ({ poolId: p.id, host: '127.0.0.1', port: 10000 + j }))) });

  const c0 = performance.now();
  await caller.pools.update({ id: pools[0]!.id, expectedVersion: 1, patch: { algorithm: 'least_connections' } });
  const compileMs = performance.now() - c0;
  const full = await caller.revisions.get({ version: (await caller.revisions.list({ limit: 1 }))[0]!.version });
  const wire = JSON.stringify({ type: 'snapshot', version: full.snapshot.version, hash: full.snapshot.hash, config: full.snapshot });
  const a0 = performance.now();
  await until('the big snapshot acked', () => (acked.get(realId()!) ?? 0) >= full.version, 120_000);
  const applyMs = performance.now() - a0;
  console.log(`scale: 1,000 pools x 10 backends: one change (compile + validate + store revision) ${fmt(compileMs)}; snapshot ${(wire.length / 1024 / 1024).toFixed(2)} MiB on the wire`);
  console.log(`scale: data plane process push -> ack (transfer, parse, validate, 1,000 listeners bound) ${fmt(applyMs)} (upper bound: timed from after the commit returned)`);
  const r0 = performance.now();
  await caller.pools.update({ id: pools[1]!.id, expectedVersion: 1, patch: { algorithm: 'random' } });
  const v2 = (await caller.revisions.list({ limit: 1 }))[0]!.version;
  await until('the second big snapshot acked', () => (acked.get(realId()!) ?? 0) >= v2, 120_000);
  console.log(`scale: next change, commit -> acked with listeners kept ${fmt(performance.now() - r0)}`);

  // Stats: frames of 10,000 backends through the hub's parse, validation and merge.
  const frame = (dp: string, ts: number): TStatsFrame => ({
    dataplaneId: dp,
    ts,
    intervalMs: 1000,
    configVersion: 1,
    pools: full.snapshot.pools.map((p) => ({
      poolId: p.id,
      backends: p.backends.map((b) =>
        backendSecond(b.id, 100, {
          responses: { '1xx': 0, '2xx': 99, '3xx': 0, '4xx': 0, '5xx': 1 },
          activeConnections: 3,
          bytesIn: 1000,
          bytesOut: 50000,
          latencyMs: { p50: 1, p95: 3, p99: 7 },
        }),
      ),
    })),
  });
  const text = JSON.stringify({ type: 'stats', frame: frame('x', Date.now()) });
  const N = 30;
  const s0 = performance.now();
  for (let i = 0; i < N; i++) {
    const msg = ZDataplaneToControl.parse(JSON.parse(text));
    if (msg.type === 'stats') hub.stats.add({ ...msg.frame, ts: msg.frame.ts + i * 1000 });
  }
  const perFrame = (performance.now() - s0) / N;
  console.log(
    `stats: a frame of 10,000 backends (${(text.length / 1024).toFixed(0)} KiB) parsed, validated and merged in ${fmt(perFrame)} on average over ${N} seconds: ${perFrame < 1000 ? `keeps up (${(1000 / perFrame).toFixed(1)} such frames/s)` : 'falls behind'}`,
  );
  const r1 = performance.now();
  await rollupStore(prisma, hub.stats, 'bench', 0, Date.now() + 60_000);
  console.log(`stats: rollup of ${N} s x 10,000 backends into PostgreSQL ${fmt(performance.now() - r1)}`);

  proc.kill('SIGTERM');
  await hub.stop();
  wss.close();
  http.close();
  await db.drop();
  await stopTestServer();
  rmSync(stateDir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
