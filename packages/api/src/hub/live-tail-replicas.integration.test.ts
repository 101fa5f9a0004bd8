import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { stopTestServer } from '@fulcrum/db/testing';
import { DATAPLANE_WS_PATH, type TAccessRecord, type TControlToDataplane } from '@fulcrum/protocol';
import { accessRecord } from '@fulcrum/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createCaller } from '../root';
import { REPLICA_SCRIPT, type SystemHarness, eventually, startSystem } from '../services/deploys/system-harness';
import { createApiToken } from '../services/tokens/api-tokens';
import { getHub } from './dataplane-hub';
import { TAIL_LEASE_MS } from './tail-watch-leases';

/**
 * Two (and three) control-plane replicas on one PostgreSQL. Replica A, a process of its own,
 * holds the data planes' links; this process is replica B, where the dashboard watches the tail.
 * Deadlines only bound a hang: a loaded machine runs the same steps, later.
 */
let sys: SystemHarness;
let replicaA: string;
let edgeA: ChildProcess;
let pool: { id: string; listenPort: number };
let operator: Parameters<typeof createCaller>[0];
const sockets: WebSocket[] = [];
const spawned: ChildProcess[] = [];

beforeAll(async () => {
  sys = await startSystem();
  replicaA = await sys.startReplica('cp-a');
  edgeA = await sys.startDataplane('edge-a', replicaA);
  pool = await sys.createPool({ name: 'tailed', healthCheck: { enabled: false } });
  const backend = await sys.startBackend('b1');
  expect((await sys.call('POST', '/pools/tailed/backends', { host: '127.0.0.1', port: backend.port })).status).toBe(200);
  await eventually(async () => (await fetch(`http://127.0.0.1:${pool.listenPort}/`).then((r) => r.text())) === 'b1', 60_000, 'the pool serving b1');
  const user = await sys.db.prisma.user.create({ data: { email: 'op@example.com', name: 'op', role: 'operator', passwordHash: 'x' } });
  operator = { prisma: sys.db.prisma, actor: { kind: 'user', id: user.id, name: user.email, role: 'operator' }, resHeaders: new Headers() };
}, 180_000);

afterAll(async () => {
  sockets.forEach((s) => s.terminate());
  for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await sys?.close();
  await stopTestServer();
});

type Batch = { lines: TAccessRecord[]; dropped: number; coverage: { here: string[]; elsewhere: string[]; unreachable: string[] } };

/** A watcher on this replica (B), read in the background until closed (as a browser leaving: the request's signal aborts). */
async function watch() {
  const leave = new AbortController();
  const stream = (await createCaller(operator, { signal: leave.signal }).tail.watch({ poolId: pool.id })) as AsyncIterable<Batch>;
  const it = stream[Symbol.asyncIterator]();
  const got = { lines: [] as TAccessRecord[], dropped: 0, coverage: undefined as Batch['coverage'] | undefined };
  const reading = (async () => {
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      got.lines.push(...r.value.lines);
      got.dropped += r.value.dropped;
      got.coverage = r.value.coverage;
    }
  })();
  await eventually(() => got.coverage !== undefined, 30_000, 'the first batch');
  return { got, close: async () => (leave.abort(), await reading) };
}

/** A data plane speaking the protocol by hand, linked to replica A, recording the `tail` messages it gets. */
async function handDataplane(name: string) {
  const token = (await createApiToken(sys.db.prisma, { name, role: 'dataplane' })).token;
  const ws = new WebSocket(`${replicaA.replace('http', 'ws')}${DATAPLANE_WS_PATH}`, { headers: { authorization: `Bearer ${token}` } });
  sockets.push(ws);
  const tails: string[][] = [];
  ws.on('message', (d) => {
    const m = JSON.parse(d.toString()) as TControlToDataplane;
    if (m.type === 'tail') tails.push(m.poolIds);
  });
  ws.on('error', () => {});
  await new Promise<void>((r) => ws.on('open', () => r()));
  const rev = (await sys.db.prisma.configRevision.findFirst({ orderBy: { version: 'desc' } }))!;
  const send = (msg: unknown) => ws.send(JSON.stringify(msg));
  send({ type: 'hello', dataplaneId: name, name, softwareVersion: 'test', configVersion: rev.version, configHash: rev.hash });
  const tailing = () => tails.at(-1)?.includes(pool.id) === true;
  return { ws, tails, tailing, send };
}

/** A third replica whose dashboard watches the pool's tail from its start; resolves once it watches. */
async function watchingReplica(controlPlaneId: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', REPLICA_SCRIPT, sys.db.url, controlPlaneId, pool.id], {
    cwd: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..'),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  spawned.push(child);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await eventually(() => out.includes(`WATCHING ${pool.id}`), 120_000, 'the third replica watching');
  return child;
}

describe('live tail across control-plane replicas', { timeout: 300_000 }, () => {
  it('a watcher on replica B sees the line of a request served by a data plane linked to replica A', async () => {
    expect(getHub()!.connectedIds()).toEqual([]);
    await eventually(() => getHub()!.tailCoverage().elsewhere.includes('edge-a'), 60_000, 'replica B hearing of edge-a');
    const w = await watch();
    try {
      const unique = `/across-replicas-${Date.now()}`;
      // Data planes learn of a watcher on another replica through A: until then a request is not tailed, so ask again until one shows.
      await eventually(
        async () => {
          await fetch(`http://127.0.0.1:${pool.listenPort}${unique}`).then((r) => r.text());
          return w.got.lines.some((l) => l.path === unique);
        },
        60_000,
        'the line on replica B',
      );
      const line = w.got.lines.find((l) => l.path === unique)!;
      expect(line).toMatchObject({ poolId: pool.id, pool: 'tailed', method: 'GET', status: 200, termination: 'normal' });
      expect(w.got.coverage).toMatchObject({ here: [], elsewhere: ['edge-a'], unreachable: [] });
    } finally {
      await w.close();
    }
  });

  it('the watcher leaving stops the data plane on replica A from sending', async () => {
    const dp = await handDataplane('dp-leave');
    const w = await watch();
    await eventually(dp.tailing, 60_000, 'replica A asking its data plane for the pool');
    await w.close();
    // Released at once; the lease bounds it if the release is lost.
    await eventually(() => !dp.tailing(), TAIL_LEASE_MS + 60_000, 'replica A telling its data plane to stop');
    expect(dp.tails.at(-1)).toEqual([]);
    dp.ws.close();
  });

  it('a watching replica killed: its lease runs out and the data plane on replica A stops sending', async () => {
    const dp = await handDataplane('dp-orphan');
    const watcher = await watchingReplica('cp-c');
    await eventually(dp.tailing, 60_000, 'replica A asking its data plane for the pool watched on replica C');
    // Killed with -9: nothing releases its lease, only time ends it (tail-watch-leases.test.ts has the timing).
    watcher.kill('SIGKILL');
    await eventually(() => !dp.tailing(), TAIL_LEASE_MS + 60_000, 'the lease of the killed replica running out');
    expect(dp.tails.at(-1)).toEqual([]);
    dp.ws.close();
  });

  it('a data plane on replica A that stops is named as not reachable in the tail on replica B', async () => {
    const w = await watch();
    try {
      await eventually(() => w.got.coverage?.elsewhere.includes('edge-a'), 60_000, 'edge-a covered through replica A');
      edgeA.kill('SIGKILL');
      // Re-said at least every 5 s; edge-a counts as gone once its frames are 10 s old.
      await eventually(() => w.got.coverage?.unreachable.includes('edge-a') && !w.got.coverage.elsewhere.includes('edge-a'), 120_000, 'edge-a named as not reachable');
    } finally {
      await w.close();
    }
  });

  it('a flood from a data plane on replica A reaches replica B bounded, the rest counted as dropped; a line too big for NOTIFY is counted', async () => {
    const dp = await handDataplane('dp-flood');
    const w = await watch();
    try {
      await eventually(dp.tailing, 60_000, 'replica A asking its data plane for the pool');
      const now = () => new Date().toISOString();
      // A path of control characters: within the protocol's 2048, over 12 KB once escaped in JSON.
      const huge = accessRecord({ time: now(), poolId: pool.id, pool: 'tailed', path: '\u0001'.repeat(2048) });
      const start = Date.now();
      for (let m = 0; m < 5; m++) {
        const lines = Array.from({ length: 200 }, (_, i) => accessRecord({ time: now(), poolId: pool.id, pool: 'tailed', path: `/flood/${m}/${i}` }));
        if (m === 0) lines[0] = huge;
        dp.send({ type: 'tail_lines', lines, dropped: m === 0 ? 7 : 0 });
      }
      await eventually(() => w.got.lines.length + w.got.dropped >= 1000 + 7, 60_000, 'every line shown or counted on replica B');
      const windows = Math.ceil((Date.now() - start) / 1000) + 1;
      const flood = w.got.lines.filter((l) => l.path.startsWith('/flood/'));
      expect(flood.length).toBeGreaterThan(0);
      expect(flood.length).toBeLessThanOrEqual(200 * windows);
      expect(w.got.lines.some((l) => l.path === huge.path)).toBe(false);
      // The data plane's own 7, the huge line, and what replica A dropped over 200 lines/s.
      expect(w.got.dropped).toBeGreaterThanOrEqual(7 + 1 + Math.max(0, 1000 - 200 * windows));
      expect(w.got.lines.length + w.got.dropped).toBe(1000 + 7);
    } finally {
      await w.close();
      dp.ws.close();
    }
  });
});
