import type { Server } from 'node:http';
import { type AddressInfo, type Socket, connect, createServer as createNetServer } from 'node:net';
import { freePort, stopTestServer } from '@fulcrum/db/testing';
import { type TControlToDataplane, type TStatsFrame, WS_CLOSE, emptyClientStats } from '@fulcrum/protocol';
import { type LivePool, liveFrame } from '../services/stats/live-second';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually } from '../services/deploys/system-harness';
import { type TestApi, createTestApi, listenHub } from '../test-support';
import { DataplaneHub, setHub } from './dataplane-hub';
import { backendSecond, statsFrame } from '../stats/fixtures/stats-frames';
import { newReportLimits } from './report-guard';

let t: TestApi;
let hub: DataplaneHub;
let http: Server;
let url: string;
/** The live stream's clock: virtual time that a sleep moves forward at once, so its seconds are exact. */
let virtualNow = 0;
const virtualClock = {
  now: () => virtualNow,
  sleep: async (ms: number) => void (virtualNow += ms),
};
const sockets: WebSocket[] = [];

/** A link client speaking the protocol by hand, recording what the hub sends. */
function link(token: string | undefined, at = url) {
  const ws = new WebSocket(at, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  sockets.push(ws);
  const received: TControlToDataplane[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (d) => received.push(JSON.parse(d.toString()) as TControlToDataplane));
  ws.on('error', () => {});
  const opened = new Promise<void>((r) => ws.on('open', () => r()));
  const send = async (msg: unknown) => {
    await opened;
    ws.send(JSON.stringify(msg));
  };
  const snapshots = () => received.filter((m): m is Extract<TControlToDataplane, { type: 'snapshot' }> => m.type === 'snapshot');
  return { ws, received, snapshots, closed, send };
}

const hello = (id: string, configVersion: number | null = null, configHash: string | null = null) => ({ type: 'hello', dataplaneId: id, name: id, softwareVersion: 'test', configVersion, configHash });

beforeAll(async () => {
  t = await createTestApi();
  hub = new DataplaneHub(t.db.prisma, { controlPlaneId: 'cp-test', heartbeatMs: 200, clock: virtualClock });
  hub.start(t.db.url);
  setHub(hub);
  ({ server: http, url } = await listenHub(hub));
  const op = await t.as('operator');
  await op.pools.create({ name: 'web', listenHost: '127.0.0.1', listenPort: 18080, healthCheck: { enabled: false } as never });
});

afterAll(async () => {
  sockets.forEach((s) => s.terminate());
  setHub(undefined);
  await hub.stop();
  http.close();
  await t.db.drop();
  await stopTestServer();
});

describe('DataplaneHub', () => {
  it('refuses a missing, unknown or non-dataplane token with its close code and reason', async () => {
    expect(await link(undefined).closed).toMatchObject({ code: WS_CLOSE.unauthorized, reason: /Bearer/ });
    expect(await link('flc_nope').closed).toMatchObject({ code: WS_CLOSE.unauthorized, reason: /unknown/ });
    expect(await link(await t.token('admin')).closed).toMatchObject({ code: WS_CLOSE.forbidden, reason: /admin may not connect/ });
  });

  it('closes a connection whose first message is not a valid hello', async () => {
    const c = link(await t.token('dataplane'));
    await c.send({ type: 'ack', version: 1, hash: 'x' });
    expect(await c.closed).toMatchObject({ code: WS_CLOSE.badMessage, reason: /hello first/ });
    const d = link(await t.token('dataplane'));
    await d.send({ type: 'hello', dataplaneId: '' });
    expect(await d.closed).toMatchObject({ code: WS_CLOSE.badMessage, reason: /bad message/ });
  });

  it('sends the current snapshot on hello when behind, and nothing when current', async () => {
    const behind = link(await t.token('dataplane'));
    await behind.send(hello('dp-behind'));
    const snap = await eventually(() => behind.snapshots()[0]);
    expect(snap.version).toBe(1);
    expect(behind.received[0]?.type).toBe('welcome');

    const current = link(await t.token('dataplane'));
    await current.send(hello('dp-current', snap.version, snap.hash));
    // The hub handles a data plane's messages in order: the pong comes after the hello was handled.
    await current.send({ type: 'ping', ts: 42 });
    await eventually(() => current.received.some((m) => m.type === 'pong'));
    expect(current.received.map((m) => m.type)).toEqual(['welcome', 'acme_challenges', 'pong']);
    behind.ws.close();
    current.ws.close();
  });

  it('records acks in the order the data plane sent them, so the newest applied version is the one kept', async () => {
    const c = link(await t.token('dataplane'));
    await c.send(hello('dp-burst', 0, null));
    // Acks sent back to back, as a data plane applying a burst of revisions does.
    for (let v = 1; v <= 30; v++) await c.send({ type: 'ack', version: v, hash: `h${v}` });
    const viewer = await t.as('viewer');
    await eventually(async () => (await viewer.dataplanes.list()).find((d) => d.id === 'dp-burst')?.appliedConfigVersion === 30);
    c.ws.close();
    await eventually(async () => !(await viewer.dataplanes.list()).find((d) => d.id === 'dp-burst')?.connected);
    expect((await viewer.dataplanes.list()).find((d) => d.id === 'dp-burst')?.appliedConfigVersion).toBe(30);
  });

  it('pushes every new revision, records acks and nacks, and reports fully applied revisions', async () => {
    const a = link(await t.token('dataplane'));
    const b = link(await t.token('dataplane'));
    await a.send(hello('dp-a'));
    await b.send(hello('dp-b'));
    const first = await eventually(() => a.snapshots()[0]);
    await a.send({ type: 'ack', version: first.version, hash: first.hash });
    await eventually(() => b.snapshots()[0]);
    await b.send({ type: 'ack', version: first.version, hash: first.hash });

    const op = await t.as('operator');
    const pool = await op.pools.get({ id: 'web' });
    await op.pools.update({ id: pool.id, expectedVersion: pool.version, patch: { algorithm: 'random' } });
    const pushedA = await eventually(() => a.snapshots().find((s) => s.version === 2));
    const pushedB = await eventually(() => b.snapshots().find((s) => s.version === 2));
    expect(pushedB.hash).toBe(pushedA.hash);
    expect((pushedA.config as { pools: { algorithm: string }[] }).pools[0]!.algorithm).toBe('random');

    await a.send({ type: 'ack', version: 2, hash: pushedA.hash });
    await b.send({ type: 'nack', version: 2, keptVersion: 1, error: 'cannot listen on 127.0.0.1:18080' });

    const viewer = await t.as('viewer');
    const rows = await eventually(async () => {
      const list = await viewer.dataplanes.list();
      const da = list.find((d) => d.id === 'dp-a');
      const db = list.find((d) => d.id === 'dp-b');
      return da?.appliedConfigVersion === 2 && db?.lastError ? { da, db } : undefined;
    });
    expect(rows.da).toMatchObject({ connected: true, lag: 0, lastError: null });
    expect(rows.db).toMatchObject({ connected: true, appliedConfigVersion: 1, lag: 1, lastError: /cannot listen/ });
    // The refusal is an event of the pool the revision changed, with the reason.
    const refused = await eventually(async () => (await viewer.events.list({ kind: 'snapshot_refused', poolId: pool.id, limit: 5 }))[0]);
    expect(refused.message).toMatch(/dp-b refused revision 2: cannot listen on 127\.0\.0\.1:18080 \(keeps 1\)/);

    const applied = await viewer.stats.applied({ limit: 2 });
    expect(applied[0]).toMatchObject({ version: 2, appliedBy: ['dp-a'], running: ['dp-a'], pending: [], refused: [{ dataplane: 'dp-b', version: 2 }], fullyApplied: false });
    expect(applied[0]!.refused[0]!.error).toMatch(/cannot listen/);
    expect(applied[1]).toMatchObject({ version: 1, fullyApplied: true });
    expect(await viewer.revisions.poolStatus({ poolId: pool.id })).toMatchObject({ version: 2, running: ['dp-a'], pending: [], refused: [{ dataplane: 'dp-b' }], previousVersion: 1 });

    // The operator rolls back; the rollback is an event of the pool, and once both data planes
    // apply it, the refused revision still shows as refused, never as applied.
    await op.revisions.rollback({ version: 1 });
    const rolledBack = await eventually(async () => (await viewer.events.list({ kind: 'config_revision', poolId: pool.id, limit: 1 }))[0]);
    expect(rolledBack.message).toMatch(/revision 3 .* rolls this pool back to revision 1/);
    const third = await eventually(() => b.snapshots().find((s) => s.version === 3));
    await eventually(() => a.snapshots().find((s) => s.version === 3));
    await a.send({ type: 'ack', version: 3, hash: third.hash });
    await b.send({ type: 'ack', version: 3, hash: third.hash });
    const after = await eventually(async () => {
      const list = await viewer.stats.applied({ limit: 3 });
      return list[0]?.fullyApplied ? list : undefined;
    });
    expect(after[0]).toMatchObject({ version: 3, running: expect.arrayContaining(['dp-a', 'dp-b']), refused: [] });
    expect(after[1]).toMatchObject({ version: 2, appliedBy: ['dp-a'], refused: [{ dataplane: 'dp-b' }], fullyApplied: false });
    expect(await viewer.revisions.poolStatus({ poolId: pool.id })).toMatchObject({ version: 3, pending: [], refused: [] });

    a.ws.close();
    b.ws.close();
    await eventually(async () => (await viewer.dataplanes.list()).filter((d) => d.id === 'dp-a' || d.id === 'dp-b').every((d) => !d.connected));
    // The hub writes the leave event after the row says disconnected: wait for both events.
    const left = await eventually(async () => {
      const events = await viewer.events.list({ kind: 'dataplane_leave', limit: 10 });
      return ['dp-a', 'dp-b'].every((id) => events.some((e) => e.dataplaneId === id)) ? events : undefined;
    });
    expect(left.map((e) => e.dataplaneId)).toEqual(expect.arrayContaining(['dp-a', 'dp-b']));
  });

  it('merges stats frames of several data planes and records their events', async () => {
    const a = link(await t.token('dataplane'));
    const b = link(await t.token('dataplane'));
    const op = await t.as('operator');
    const b1 = (await op.backends.create({ poolId: 'web', host: '127.0.0.1', port: 9001 })).id;
    await a.send(hello('dp-s1'));
    await b.send(hello('dp-s2'));
    const snap = await eventually(() => a.snapshots().find((s) => (s.config as { pools: { backends: unknown[] }[] }).pools[0]!.backends.length === 1));
    const pool = (snap.config as { pools: { id: string }[] }).pools[0]!;
    await a.send({ type: 'ack', version: snap.version, hash: snap.hash });
    await b.send({ type: 'ack', version: snap.version, hash: snap.hash });
    const ts = Date.now() - 5000;
    const frame = (dataplaneId: string, requests: number, p99: number, health: 'healthy' | 'unhealthy'): TStatsFrame =>
      statsFrame(dataplaneId, ts, [{ poolId: pool.id, backends: [backendSecond(b1, requests, { activeConnections: 2, bytesIn: 10, bytesOut: 20, latencyMs: { p50: 1, p95: 2, p99 }, health })] }], {
        configVersion: snap.version,
      });

    await a.send({ type: 'stats', frame: frame('dp-s1', 5, 3, 'healthy') });
    await b.send({ type: 'stats', frame: frame('dp-s2', 7, 9, 'unhealthy') });
    const second = Math.floor(ts / 1000) * 1000;
    const merged = await eventually(() => {
      const p = hub.stats.secondAt(second)[pool.id]?.[b1];
      return p?.dataplanes === 2 ? p : undefined;
    });
    expect(merged).toMatchObject({ requests: 12, activeConnections: 4, bytesOut: 40, health: 'unhealthy', latencyMs: { p99: 9 } });

    await a.send({ type: 'event', event: { kind: 'health_flip', severity: 'warning', poolId: pool.id, backendId: b1, message: 'b1 is unhealthy', ts: Date.now() } });
    const viewer = await t.as('viewer');
    const flip = await eventually(async () => (await viewer.events.list({ kind: 'health_flip', limit: 1 }))[0]);
    expect(flip).toMatchObject({ poolId: pool.id, dataplaneId: 'dp-s1', message: 'dp-s1: b1 is unhealthy' });
    a.ws.close();
    b.ws.close();
  });

  it('terminates a data plane that stops answering heartbeats', async () => {
    const c = link(await t.token('dataplane'));
    await c.send(hello('dp-silent'));
    await eventually(() => c.received.some((m) => m.type === 'welcome'));
    // The hub says welcome before it records the data plane as connected: wait for the record
    // while the link still answers (a hung peer dropped first would never show as connected).
    const viewer = await t.as('viewer');
    await eventually(async () => (await viewer.dataplanes.list()).find((d) => d.id === 'dp-silent')?.connected === true);
    // Stop the socket from reading: the automatic pong is never sent, as with a hung peer.
    (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    // The hub pings every 200 ms and drops a peer that missed one round.
    await eventually(async () => (await viewer.dataplanes.list()).find((d) => d.id === 'dp-silent')?.connected === false, 30_000);
    expect(hub.connectedIds()).not.toContain('dp-silent');
  });

  it('records a data plane that leaves during its hello as gone, after its join: the writes of one data plane run in order', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `dp-brief-${i}`);
    await Promise.all(
      ids.map(async (id) => {
        const c = link(await t.token('dataplane'));
        // Welcome comes first in the hello's work: the link is cut as it arrives, while the rest runs.
        const cut = new Promise<void>((resolve) =>
          c.ws.on('message', (d) => {
            if ((JSON.parse(d.toString()) as TControlToDataplane).type !== 'welcome') return;
            c.ws.terminate();
            resolve();
          }),
        );
        await c.send(hello(id));
        await cut;
      }),
    );
    const events = async () => t.db.prisma.event.findMany({ where: { dataplaneId: { in: ids }, kind: { in: ['dataplane_join', 'dataplane_leave'] } }, orderBy: { createdAt: 'asc' } });
    await eventually(async () => {
      const all = await events();
      return ids.every((id) => all.some((e) => e.dataplaneId === id && e.kind === 'dataplane_join') && all.some((e) => e.dataplaneId === id && e.kind === 'dataplane_leave'));
    }, 30_000);
    const rows = await t.db.prisma.dataplane.findMany({ where: { id: { in: ids } } });
    expect(rows.filter((r) => r.connected).map((r) => r.id)).toEqual([]);
    const all = await events();
    for (const id of ids) {
      const [join, leave] = ['dataplane_join', 'dataplane_leave'].map((kind) => all.filter((e) => e.dataplaneId === id && e.kind === kind));
      expect([join!.length, leave!.length]).toEqual([1, 1]);
      expect(join![0]!.createdAt.getTime()).toBeLessThanOrEqual(leave![0]!.createdAt.getTime());
    }
  });

  it('streams merged seconds through the stats.live subscription', async () => {
    const oneClientError = () => {
      const c = emptyClientStats();
      c.responses['5xx'] = 1;
      c.proxyResponses.no_healthy_backend = 1;
      return c;
    };
    // The hub takes stats only for backends of the config the data plane runs: this test's own.
    const liveBackend = (await (await t.as('operator')).backends.create({ poolId: 'web', host: '127.0.0.1', port: 9003 })).id;
    const c = link(await t.token('dataplane'));
    await c.send(hello('dp-live'));
    const snap = await eventually(() => c.snapshots()[0]);
    await c.send({ type: 'ack', version: snap.version, hash: snap.hash });
    // The pool this file made first, whatever pools other tests added.
    const pool = (snap.config as { pools: { id: string; name: string; backends: { id: string }[] }[] }).pools.find((p) => p.name === 'web')!;
    const poolId = pool.id;
    expect(pool.backends.map((b) => b.id)).toContain(liveBackend);
    // Two frames in each of three seconds, stamped as a data plane sending every 500 ms would
    // (six in all: within the hub's limit of ten frames a second from one data plane).
    const base = Math.floor(Date.now() / 1000) * 1000 - 5000;
    for (let i = 0; i < 6; i++) {
      const requests = 5 * (1 + Math.floor(i / 2));
      const frame = statsFrame('dp-live', base + i * 500, [{ poolId, backends: [backendSecond(liveBackend, requests)], client: oneClientError() }], { intervalMs: 500, configVersion: snap.version });

      await c.send({ type: 'stats', frame });
    }
    await eventually(() => [0, 1, 2].every((s) => hub.stats.secondAt(base + s * 1000)[poolId]?.[liveBackend]?.requests === 10 * (s + 1)));
    try {
      const viewer = await t.as('viewer');
      // At base + 1300 ms the second `base` has just settled: the stream starts with it, the
      // newest complete second, at once (a page opened then shows numbers without waiting).
      virtualNow = base + 1300;
      // Leaving the loop returns the generator, which ends the subscription.
      const stream = await viewer.stats.live({ poolId });
      const seen: { ts: number; pools: Record<string, LivePool>; dataplanes: { id: string; connected: boolean }[] }[] = [];
      for await (const item of stream) {
        seen.push(item);
        if (seen.length === 3) break;
      }
      expect(seen.map((s) => s.ts)).toEqual([base, base + 1000, base + 2000]);
      // liveNow is the frame the stream sends first, read once (a page rendered on the server
      // shows it), with how long ago the stream would have pushed it (at base + 1300 ms).
      virtualNow = base + 1800;
      const now = await viewer.stats.liveNow();
      expect(now).toMatchObject({ ts: base, sincePushMs: 500 });
      expect(now.pools[poolId]).toEqual({ ...seen[0]!.pools[poolId], ts: base });
      // Two seconds on, the newest complete second (base + 3000) has no frames from this pool
      // yet: the page gets its last second (base + 2000), stamped as such, not "no data".
      virtualNow = base + 4800;
      const later = await viewer.stats.liveNow();
      expect(later).toMatchObject({ ts: base + 3000, sincePushMs: 500 });
      expect(later.pools[poolId]).toEqual({ ...seen[2]!.pools[poolId], ts: base + 2000 });
      // Older than the three seconds before the newest: gone, as from the live stream.
      virtualNow = base + 7800;
      expect((await viewer.stats.liveNow()).pools[poolId]).toBeUndefined();
      await expect(t.anonymous().stats.liveNow()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
      expect(seen.map((s) => s.pools[poolId]?.backends[liveBackend]?.requests)).toEqual([10, 20, 30]);
      // What clients got comes from the client counters: one 503 per frame, so every response an error.
      const traffic = seen[2]!.pools[poolId]!.traffic;
      expect(traffic).toMatchObject({ responses: 2, responses5xx: 2, causes: { no_healthy_backend: 2 }, clientSide: true });
      expect(seen[2]!.pools[poolId]!.reporters).toEqual(['dp-live']);
      expect(seen[2]!.dataplanes.find((d) => d.id === 'dp-live')).toMatchObject({ connected: true });
      expect(Object.keys(seen[2]!.pools)).toEqual([poolId]);
    } finally {
      c.ws.close();
    }
  });

  it('says since when it hears no other replica (its PostgreSQL notifications are down), in the live frame and the tail note', async () => {
    await eventually(() => hub.notificationsDownSince() === null, 60_000, 'the hub listening');
    expect(liveFrame(hub, 0).notificationsDownSince).toBeNull();
    expect(hub.tailCoverage().notificationsDownSince).toBeNull();
    // A replica whose database notifications cannot come up: a port nothing listens on.
    const dead = new URL(t.db.url);
    dead.port = String(await freePort()); // nothing listens there
    const before = Date.now();
    const deaf = new DataplaneHub(t.db.prisma, { controlPlaneId: 'cp-deaf' });
    deaf.start(dead.toString());
    const deafLink = await listenHub(deaf);
    try {
      const since = deaf.notificationsDownSince();
      expect(since).toBeGreaterThanOrEqual(before);
      expect(liveFrame(deaf, 0).notificationsDownSince).toBe(since);
      expect(deaf.tailCoverage()).toMatchObject({ notificationsDownSince: since });

      // Deaf, it still gets new revisions to its data planes: it reads the current one itself.
      const dp = link(await t.token('dataplane'), deafLink.url);
      await dp.send(hello('dp-deaf'));
      const first = await eventually(() => dp.snapshots()[0]);
      const op = await t.as('operator');
      await op.pools.create({ name: 'while-deaf', listenHost: '127.0.0.1', listenPort: 18081, healthCheck: { enabled: false } as never });
      const next = await eventually(() => dp.snapshots().find((m) => m.version > first.version), 30_000, 'the new revision on the deaf replica');
      const pools = (next.config as { pools: { id: string; name: string }[] }).pools;
      expect(pools.map((p) => p.name)).toContain('while-deaf');

      // And the numbers of a data plane linked to another replica: it reads their frames itself.
      const elsewhere = link(await t.token('dataplane'));
      await elsewhere.send(hello('dp-elsewhere'));
      const snap = await eventually(() => elsewhere.snapshots().find((m) => m.version >= next.version));
      await elsewhere.send({ type: 'ack', version: snap.version, hash: snap.hash });
      const poolId = pools.find((p) => p.name === 'while-deaf')!.id;
      await elsewhere.send({ type: 'stats', frame: statsFrame('dp-elsewhere', Date.now() - 1000, [{ poolId, backends: [], client: emptyClientStats() }], { configVersion: snap.version }) });
      const heard = await eventually(() => deaf.dataplaneLinks().find((d) => d.id === 'dp-elsewhere'), 30_000, 'the frame of a data plane linked elsewhere on the deaf replica');
      expect(heard.here).toBe(false);
      // The poll sends a revision once: not again to a data plane that has not taken it (e.g. one
      // that refused it). The hub answers a ping after anything it sent before: a resend would be in.
      await deaf.pushCurrent({ onlyNewer: true });
      await dp.send({ type: 'ping', ts: 7 });
      await eventually(() => dp.received.some((m) => m.type === 'pong' && m.ts === 7));
      expect(dp.snapshots().filter((m) => m.version === next.version)).toHaveLength(1);
      elsewhere.ws.close();
    } finally {
      await deaf.stop();
      deafLink.server.close();
    }
  });

  it('sends a revision saved before its LISTEN was first in place once it is, with no poll to cover it', async () => {
    // PostgreSQL behind a gate: the replica's LISTEN connection waits at it until it opens.
    const pg = new URL(t.db.url);
    const held: Socket[] = [];
    let open = false;
    const forward = (client: Socket) => {
      const upstream = connect(Number(pg.port), pg.hostname);
      client.pipe(upstream).pipe(client);
      const drop = () => (client.destroy(), upstream.destroy());
      client.on('error', drop);
      upstream.on('error', drop);
    };
    const gate = createNetServer((client) => (open ? forward(client) : held.push(client)));
    await new Promise<void>((r) => gate.listen(0, '127.0.0.1', r));
    const gated = new URL(t.db.url);
    gated.hostname = '127.0.0.1';
    gated.port = String((gate.address() as AddressInfo).port);
    // No poll while deaf: only the first LISTEN can bring the revision.
    const late = new DataplaneHub(t.db.prisma, { controlPlaneId: 'cp-late', notificationsDownPollMs: 3_600_000 });
    late.start(gated.toString());
    const lateLink = await listenHub(late);
    try {
      await eventually(() => held.length > 0 || null, 30_000, 'the LISTEN connection at the gate');
      const dp = link(await t.token('dataplane'), lateLink.url);
      await dp.send(hello('dp-late'));
      const first = await eventually(() => dp.snapshots()[0]);
      await dp.send({ type: 'ack', version: first.version, hash: first.hash });
      const op = await t.as('operator');
      await op.pools.create({ name: 'before-listen', listenHost: '127.0.0.1', listenPort: 18082, healthCheck: { enabled: false } as never });
      open = true;
      for (const c of held.splice(0)) forward(c);
      const next = await eventually(() => dp.snapshots().find((m) => m.version > first.version), 30_000, 'the revision saved before LISTEN');
      expect((next.config as { pools: { name: string }[] }).pools.map((p) => p.name)).toContain('before-listen');
      dp.ws.close();
    } finally {
      await late.stop();
      lateLink.server.close();
      gate.close();
    }
  });

  it('does not count a data plane as connected when its control plane died without saying so', async () => {
    await t.db.prisma.dataplane.create({ data: { id: 'dp-orphan', name: 'dp-orphan', softwareVersion: 'x', connected: true, controlPlaneId: 'gone', lastSeenAt: new Date(Date.now() - 120_000) } });
    const viewer = await t.as('viewer');
    expect((await viewer.dataplanes.list()).find((d) => d.id === 'dp-orphan')?.connected).toBe(false);
    expect((await viewer.stats.applied({ limit: 1 }))[0]?.pending).not.toContain('dp-orphan');
  });
});

describe('DataplaneHub: a token speaks only for its own data plane', () => {
  const welcomed = async (l: ReturnType<typeof link>) => eventually(() => l.received.some((m) => m.type === 'welcome'));

  it("cannot claim another data plane's id, knock it off the link, or change ids with its token", async () => {
    const victimToken = await t.token('dataplane');
    const victim = link(victimToken);
    await victim.send(hello('dp-victim'));
    await welcomed(victim);

    const attacker = link(await t.token('dataplane'));
    await attacker.send(hello('dp-victim'));
    expect(await attacker.closed).toMatchObject({ code: WS_CLOSE.forbidden, reason: /dp-victim belongs to another token/ });
    expect(victim.ws.readyState).toBe(WebSocket.OPEN);
    expect(hub.connectedIds()).toContain('dp-victim');

    // The victim's own token may not speak for a second data plane either.
    const second = link(victimToken);
    await second.send(hello('dp-victim-2'));
    expect(await second.closed).toMatchObject({ code: WS_CLOSE.forbidden, reason: /belongs to data plane dp-victim/ });
    // Nor may a connection change its id after its hello.
    await victim.send(hello('dp-elsewhere'));
    expect(await victim.closed).toMatchObject({ code: WS_CLOSE.badMessage, reason: /one hello/ });

    // A reconnect with the same token and id is the data plane itself; after a token rotation
    // (the old one revoked), a new token takes the id over.
    const again = link(victimToken);
    await again.send(hello('dp-victim'));
    await welcomed(again);
    const admin = await t.as('admin');
    const victimRow = (await admin.tokens.list()).find((x) => victimToken.startsWith(x.prefix) && x.role === 'dataplane')!;
    await admin.tokens.revoke({ id: victimRow.id });
    const rotated = link(await t.token('dataplane'));
    await rotated.send(hello('dp-victim'));
    await welcomed(rotated);
    expect(await again.closed).toMatchObject({ code: WS_CLOSE.replaced });
    rotated.ws.close();
  });

  it('accepts stats and events only for the pools and backends of the config it runs, under its own id, at a bounded rate', async () => {
    const op = await t.as('operator');
    const inj = link(await t.token('dataplane'));
    await inj.send(hello('dp-inject'));
    const snap = await eventually(() => inj.snapshots()[0]);
    // The pool this file made first, whatever pools other tests added.
    const pool = (snap.config as { pools: { id: string; name: string; backends: { id: string }[] }[] }).pools.find((p) => p.name === 'web')!;
    const real = pool.backends[0]?.id ?? (await op.backends.create({ poolId: 'web', host: '127.0.0.1', port: 9002 })).id;
    const backend = backendSecond;

    const frame = (ts: number, pools: TStatsFrame['pools']): TStatsFrame => statsFrame('dp-victim', ts, pools, { configVersion: snap.version });
    const dropped = () => ({ ...hub.reports.dropped });
    // The hub handles a data plane's messages in order: its pong means all before the ping are handled.
    const sync = async () => {
      const ts = Math.random();
      await inj.send({ type: 'ping', ts });
      await eventually(() => inj.received.some((m) => m.type === 'pong' && m.ts === ts));
    };
    const before = dropped();

    // Before it has applied any config it runs nothing, so it may report on nothing.
    const early = Date.now() - 30_000;
    await inj.send({ type: 'stats', frame: frame(early, [{ poolId: pool.id, backends: [backend(real)] }]) });
    await sync();
    expect(hub.reports.dropped.pools).toBe(before.pools + 1);
    expect(hub.stats.secondAt(Math.floor(early / 1000) * 1000)[pool.id]).toBeUndefined();

    const current = await eventually(async () => (await op.revisions.list({ limit: 1 }))[0]);
    const latest = await eventually(() => inj.snapshots().find((x) => x.version === current.version));
    await inj.send({ type: 'ack', version: latest.version, hash: latest.hash });
    const ts = Date.now() - 20_000;
    await inj.send({
      type: 'stats',
      frame: frame(ts, [
        { poolId: pool.id, backends: [backend(real, 3), backend('ghost-backend', 1000)] },
        { poolId: 'ghost-pool', backends: [backend('ghost-b', 1000)] },
      ]),
    });
    const second = Math.floor(ts / 1000) * 1000;
    await sync();
    const merged = hub.stats.secondAt(second)[pool.id]!;
    expect(Object.keys(merged)).toEqual([real]);
    expect(merged[real]).toMatchObject({ requests: 3, dataplanes: 1 });
    expect(hub.stats.secondAt(second)['ghost-pool']).toBeUndefined();
    expect(dropped()).toMatchObject({ pools: before.pools + 2, backends: before.backends + 1 });
    // A listener's own answers pass only for listeners of the version it runs, each once.
    const listenerId = (latest.config as { listeners: { id: string }[] }).listeners[0]!.id;
    const answers = (id: string) => ({ listenerId: id, responses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 5, '5xx': 0 }, answers: { no_route: 5 } });
    const guarded = await hub.reports.frame(
      { ...frame(Date.now(), []), listeners: [answers(listenerId), answers('ghost-listener'), answers(listenerId)] },
      'dp-inject',
      latest.version,
      newReportLimits(),
    );
    expect(guarded?.listeners).toEqual([answers(listenerId)]);
    expect(hub.reports.dropped.listeners).toBe(before.listeners + 2);
    const framesBefore = hub.reports.dropped.frames;

    // A frame an hour ahead would push every real second out of the window: dropped whole.
    await inj.send({ type: 'stats', frame: frame(Date.now() + 3_600_000, [{ poolId: pool.id, backends: [backend(real)] }]) });
    await sync();
    expect(hub.reports.dropped.frames).toBeGreaterThan(framesBefore);
    expect(hub.stats.secondAt(second)[pool.id]).toBeDefined();

    // A burst of frames: a few are taken, the rest dropped and counted.
    const burstTs = Date.now() - 10_000;
    for (let i = 0; i < 40; i++) await inj.send({ type: 'stats', frame: frame(burstTs, [{ poolId: pool.id, backends: [backend(real, 1)] }]) });
    await sync();
    const taken = hub.stats.secondAt(Math.floor(burstTs / 1000) * 1000)[pool.id]?.[real]?.requests ?? 0;
    expect(taken).toBeLessThan(40);
    // (The counters are the hub's: other tests' data planes may add to them, never take away.)
    expect(hub.reports.dropped.frames).toBeGreaterThanOrEqual(framesBefore + 1 + 40 - taken);

    // Events about pools or backends it does not run are not recorded.
    const viewer = await t.as('viewer');
    await inj.send({ type: 'event', event: { kind: 'health_flip', severity: 'warning', poolId: 'ghost-pool', message: 'forged pool', ts: Date.now() } });
    await inj.send({ type: 'event', event: { kind: 'health_flip', severity: 'warning', poolId: pool.id, backendId: 'ghost-backend', message: 'forged backend', ts: Date.now() } });
    await inj.send({ type: 'event', event: { kind: 'health_flip', severity: 'warning', poolId: pool.id, backendId: real, message: 'real flip', ts: Date.now() } });
    const flip = await eventually(async () => (await viewer.events.list({ kind: 'health_flip', limit: 5 })).find((e) => e.message.includes('real flip')));
    expect(flip).toMatchObject({ dataplaneId: 'dp-inject', poolId: pool.id, backendId: real });
    expect((await viewer.events.list({ kind: 'health_flip', limit: 20 })).filter((e) => e.message.includes('forged'))).toEqual([]);
    expect(hub.reports.dropped.events).toBe(before.events + 2);
    inj.ws.close();
  });
});
