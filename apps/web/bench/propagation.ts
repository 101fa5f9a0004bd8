/**
 * Live-link figures: time from a committed revision to the ack of every data plane (1 and 20
 * connected, 100 changes each), and the scale of 1,000 pools x 10 backends: snapshot compile
 * time, size on the wire, apply time on a data plane, and merging stats frames for 10,000
 * backends. Runs against an embedded PostgreSQL in a temporary folder. Usage: pnpm bench:link
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { DataplaneHub, createApiToken, createCaller } from '@fulcrum/api';
import { ControlPlaneClient, Dataplane } from '@fulcrum/dataplane';
import { closePrisma, ensureDatabase, getPrisma } from '@fulcrum/db';
import { freePort } from '@fulcrum/db/testing';
import { type TStatsFrame, ZConfigSnapshot } from '@fulcrum/protocol';
import WebSocket, { WebSocketServer } from 'ws';

const pct = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))]!;
const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-bench-link-'));
  chmodSync(dir, 0o755);
  const db = await ensureDatabase({ databaseUrl: undefined, dataDir: dir, pgPort: await freePort() });
  const prisma = getPrisma(db.url);
  const hub = new DataplaneHub(prisma, { controlPlaneId: 'bench' });
  hub.start(db.url);
  const wss = new WebSocketServer({ noServer: true });
  const http: Server = createServer();
  http.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => void hub.authenticate(req.headers.authorization).then((a) => (a.ok ? hub.accept(ws) : ws.close(a.code, a.reason)))));
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `ws://127.0.0.1:${(http.address() as { port: number }).port}/ws/dataplane`;
  const token = (await createApiToken(prisma, { name: 'bench', role: 'dataplane' })).token;
  const admin = await prisma.user.create({ data: { email: 'bench@example.com', name: 'bench', passwordHash: 'x', role: 'admin' } });
  const caller = createCaller({ prisma, actor: { kind: 'user', id: admin.id, name: admin.email, role: 'admin' }, resHeaders: new Headers() });

  const pool = await caller.pools.create({ name: 'bench', listenHost: '127.0.0.1', listenPort: await freePort(), healthCheck: { enabled: false } as never });
  let backend = await caller.backends.create({ poolId: pool.id, host: '127.0.0.1', port: 9 });

  // One real data plane (binds the pool's listener) and link clients that validate each
  // snapshot with the shared schema and ack it, standing in for more data planes on one host.
  const dp = new Dataplane({ id: 'bench-dp' });
  const real = new ControlPlaneClient(dp, { url, token, name: 'bench-dp', softwareVersion: 'bench' });
  real.start();
  const applied = new Map<string, number>();
  dp.on('applied', (v) => applied.set('bench-dp', v));
  const clients: WebSocket[] = [];
  const addClient = (i: number) => {
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', dataplaneId: `client-${i}`, name: `client-${i}`, softwareVersion: 'bench', configVersion: null, configHash: null })));
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string; version: number; hash: string; config: unknown };
      if (msg.type !== 'snapshot') return;
      ZConfigSnapshot.parse(msg.config);
      applied.set(`client-${i}`, msg.version);
      ws.send(JSON.stringify({ type: 'ack', version: msg.version, hash: msg.hash }));
    });
    clients.push(ws);
  };

  const measure = async (label: string, expected: number) => {
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t0 = performance.now();
      backend = await caller.backends.update({ id: backend.id, expectedVersion: backend.version, patch: { weight: 1 + (i % 50) } });
      const version = (await caller.revisions.list({ limit: 1 }))[0]!.version;
      while ([...applied.values()].filter((v) => v >= version).length < expected) await new Promise((r) => setImmediate(r));
      times.push(performance.now() - t0);
    }
    console.log(`propagation, ${label}: median ${fmt(pct(times, 0.5))}, p99 ${fmt(pct(times, 0.99))} (commit -> every data plane applied, 100 changes)`);
  };

  while (!applied.has('bench-dp')) await new Promise((r) => setTimeout(r, 20));
  await measure('1 data plane', 1);
  for (let i = 0; i < 19; i++) addClient(i);
  while (applied.size < 20) await new Promise((r) => setTimeout(r, 20));
  await measure('20 data planes (1 proxy + 19 link clients)', 20);

  // Scale: 1,000 pools x 10 backends.
  real.stop();
  clients.forEach((c) => c.close());
  await prisma.pool.deleteMany();
  const ports = new Set<number>();
  while (ports.size < 1000) ports.add(await freePort());
  const t0 = performance.now();
  const poolRows = [...ports].map((p, i) => ({ name: `pool-${i}`, listenHost: '127.0.0.1', listenPort: p, algorithm: 'round_robin', hashKey: { source: 'client_ip' }, healthCheck: { enabled: false, type: 'http', path: '/', expectedStatusMin: 200, expectedStatusMax: 399, intervalMs: 2000, timeoutMs: 1000, rise: 2, fall: 3 }, outlierDetection: { enabled: true, consecutiveErrors: 5, baseEjectionMs: 30000, maxEjectionPercent: 50 }, timeouts: { connectMs: 3000, firstByteMs: 30000, idleMs: 60000 }, retries: { attempts: 2, on5xx: false, budgetPercent: 20 }, stickiness: { mode: 'none', cookieName: 'FULCRUM_STICKY', headerName: 'x-fulcrum-sticky', ttlSeconds: 3600 } }));
  await prisma.pool.createMany({ data: poolRows });
  const pools = await prisma.pool.findMany({ select: { id: true } });
  await prisma.backend.createMany({ data: pools.flatMap((p) => Array.from({ length: 10 }, (_, j) => ({ poolId: p.id, host: '127.0.0.1', port: 10000 + j }))) });
  console.log(`scale: seeded 1,000 pools x 10 backends in ${fmt(performance.now() - t0)}`);
  const c0 = performance.now();
  await caller.pools.update({ id: pools[0]!.id, expectedVersion: 1, patch: { algorithm: 'least_connections' } });
  const compileMs = performance.now() - c0;
  const snapshot = (await caller.revisions.list({ limit: 1 }))[0]!;
  const full = await caller.revisions.get({ version: snapshot.version });
  const wire = JSON.stringify({ type: 'snapshot', version: full.snapshot.version, hash: full.snapshot.hash, config: full.snapshot });
  console.log(`scale: one change with 10,000 backends (compile + validate + store the revision) ${fmt(compileMs)}; snapshot ${(wire.length / 1024 / 1024).toFixed(2)} MiB on the wire`);
  const big = new Dataplane({ id: 'scale' });
  const a0 = performance.now();
  const r = await big.applySnapshot(JSON.parse(wire).config);
  console.log(`scale: data plane apply (parse + validate + 1,000 listeners bound + runtime) ${fmt(performance.now() - a0)}, ok=${r.ok}`);
  const a1 = performance.now();
  const changed = JSON.parse(wire).config;
  changed.version++;
  changed.hash = 'changed';
  changed.pools[0].algorithm = 'random';
  await big.applySnapshot(changed);
  console.log(`scale: data plane re-apply with listeners kept ${fmt(performance.now() - a1)}`);
  await big.stop();

  // Stats: a frame with 10,000 backends, through the same parse, validation and merge as the hub.
  const frame: TStatsFrame = { dataplaneId: 'x', ts: Date.now(), intervalMs: 1000, configVersion: 1, pools: full.snapshot.pools.map((p) => ({ poolId: p.id, backends: p.backends.map((b) => ({ backendId: b.id, requests: 100, responses: { '1xx': 0, '2xx': 99, '3xx': 0, '4xx': 0, '5xx': 1 }, errors: { connect: 0, timeout: 0, reset: 0 }, activeConnections: 3, bytesIn: 1000, bytesOut: 50000, latencyMs: { p50: 1, p95: 3, p99: 7 }, health: 'healthy' as const, ejected: false })) })) };
  const text = JSON.stringify({ type: 'stats', frame });
  const { ZDataplaneToControl } = await import('@fulcrum/protocol');
  const s0 = performance.now();
  for (let i = 0; i < 10; i++) {
    const msg = ZDataplaneToControl.parse(JSON.parse(text));
    if (msg.type === 'stats') hub.stats.add({ ...msg.frame, ts: msg.frame.ts + i * 1000 });
  }
  const perFrame = (performance.now() - s0) / 10;
  console.log(`stats: a frame of 10,000 backends (${(text.length / 1024).toFixed(0)} KiB) parsed, validated and merged in ${fmt(perFrame)}: ${perFrame < 1000 ? 'keeps up' : 'falls behind'} at one frame a second`);

  await hub.stop();
  wss.close();
  http.close();
  await closePrisma(db.url);
  await db.stop();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
