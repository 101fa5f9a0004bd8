import { mkdtempSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createApiToken } from '@fulcrum/api';
import { ControlPlaneClient, Dataplane, LastGoodConfig } from '@fulcrum/dataplane';
import { createTestDatabase, freePort, stopTestServer } from '@fulcrum/db/testing';
import { WS_CLOSE } from '@fulcrum/protocol';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type RunningServer, startServer } from './http-server';
import { eventually as waitFor } from '@fulcrum/test-support';

// Each test has its own database, control plane, data planes and backends: one failure cannot
// leave the next test a control plane that is gone or a pool in the wrong state.
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let cp1: RunningServer;
let operator: string;
let dpToken: string;
/** A second data plane's own token (a token speaks for one data plane). */
let dpToken2: string;
/** Torn down after each test, newest first. */
let stops: (() => Promise<unknown> | unknown)[] = [];

async function httpBackend(name: string) {
  const { createServer: createHttp } = await import('node:http');
  const srv = createHttp((_req, res) => res.end(name));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  stops.push(() => new Promise((r) => srv.close(r)));
  return { port: (srv.address() as { port: number }).port };
}

const api = (base: string) => async (method: string, p: string, body?: unknown) => {
  const res = await fetch(`${base}/api/v1${p}`, {
    method,
    headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
  return json as never;
};

/** Polls until `check` holds; the 60 s bound only stops a hang. */
const eventually = (check: () => Promise<boolean> | boolean, ms = 60_000) => waitFor(check, ms);

async function bodies(port: number, n: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    // A new connection each time: a data plane restarted on the same port must not meet stale keep-alives.
    const text = await new Promise<string>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
    out[text] = (out[text] ?? 0) + 1;
  }
  return out;
}

function stateDir() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-dp-state-'));
  stops.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function startDataplane(base: string, name: string, dir: string) {
  const dp = new Dataplane({ id: name });
  const client = new ControlPlaneClient(dp, {
    url: `${base.replace('http', 'ws')}/ws/dataplane`,
    token: dpToken,
    name,
    softwareVersion: 'test',
    lastGood: new LastGoodConfig(dir),
    backoffBaseMs: 100,
    backoffMaxMs: 1000,
  });
  client.start();
  stops.push(
    () => dp.stop(),
    () => client.stop(),
  );
  return { dp, client };
}

/**
 * Pool `web` in front of backends a and b on a free port, served by data plane edge-1 (three
 * revisions). The port must be in the pool before the data plane binds it: when another process
 * took it meanwhile, the pool moves to another.
 */
async function servedPool() {
  const a = await httpBackend('a');
  const b = await httpBackend('b');
  const call = api(cp1.url);
  let pool = (await call('POST', '/pools', { name: 'web', listenHost: '127.0.0.1', listenPort: await freePort(), healthCheck: { enabled: false } })) as {
    id: string;
    version: number;
    listenPort: number;
  };
  const ba = (await call('POST', `/pools/web/backends`, { host: '127.0.0.1', port: a.port })) as { id: string; version: number };
  await call('POST', `/pools/web/backends`, { host: '127.0.0.1', port: b.port });
  const dir = stateDir();
  const { dp } = startDataplane(cp1.url, 'edge-1', dir);
  for (let attempt = 1; ; attempt++) {
    const listenPort = pool.listenPort;
    const latest = ((await call('GET', '/revisions?limit=1')) as unknown as { version: number }[])[0]!.version;
    let taken = false;
    await eventually(async () => {
      if (dp.version === latest) return true;
      const list = (await call('GET', '/dataplanes')) as unknown as { name: string; lastError: string | null }[];
      taken = Boolean(list.find((d) => d.name === 'edge-1')?.lastError?.includes(`:${listenPort}: EADDRINUSE`));
      return taken;
    });
    if (!taken) return { dp, dir, listenPort, ba };
    if (attempt >= 5) throw new Error('no free port for pool web');
    pool = (await call('PATCH', `/pools/web`, { expectedVersion: pool.version, patch: { listenPort: await freePort() } })) as typeof pool;
  }
}

beforeEach(async () => {
  stops = [];
  db = await createTestDatabase();
  cp1 = await startServer({ port: 0, host: '127.0.0.1', databaseUrl: db.url, apiOnly: true, log: () => {} });
  stops.push(
    () => db.drop(),
    () => cp1.close().catch(() => {}),
  );
  operator = (await createApiToken(db.prisma, { name: 'ci', role: 'operator' })).token;
  dpToken = (await createApiToken(db.prisma, { name: 'edge', role: 'dataplane' })).token;
  dpToken2 = (await createApiToken(db.prisma, { name: 'edge-2', role: 'dataplane' })).token;
});

afterEach(async () => {
  for (const s of stops.reverse()) await s();
});

afterAll(() => stopTestServer());

describe('live link between control plane and data planes', { timeout: 300_000 }, () => {
  it('pushes config to a connected data plane, and a change reshapes traffic', async () => {
    const { dp, listenPort, ba } = await servedPool();
    const call = api(cp1.url);
    const first = dp.version!;
    expect(await bodies(listenPort, 20)).toEqual({ a: 10, b: 10 });

    const pool = (await call('GET', '/pools/web')) as { version: number };
    await call('PATCH', `/pools/web`, { expectedVersion: pool.version, patch: { algorithm: 'weighted_round_robin' } });
    await call('PATCH', `/backends/${ba.id}`, { expectedVersion: ba.version, patch: { weight: 3 } });
    await eventually(() => dp.version === first + 2);
    expect(await bodies(listenPort, 20)).toEqual({ a: 15, b: 5 });

    await eventually(async () => {
      const list = (await call('GET', '/dataplanes')) as unknown as { name: string; connected: boolean; appliedConfigVersion: number; lag: number }[];
      return list.some((d) => d.name === 'edge-1' && d.connected && d.appliedConfigVersion === first + 2 && d.lag === 0);
    });
  });

  it('refuses connections without a data-plane token, with a close code and reason', async () => {
    const closeOf = (token?: string) =>
      new Promise<{ code: number; reason: string }>((resolve) => {
        const ws = new WebSocket(`${cp1.url.replace('http', 'ws')}/ws/dataplane`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
        ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
        ws.on('error', () => {});
      });
    expect(await closeOf()).toMatchObject({ code: WS_CLOSE.unauthorized });
    expect(await closeOf('flc_not-a-token')).toMatchObject({ code: WS_CLOSE.unauthorized, reason: /unknown/ });
    expect(await closeOf(operator)).toMatchObject({ code: WS_CLOSE.forbidden, reason: /operator may not connect/ });
  });

  it('shows a pool a data plane cannot apply, and the other pools keep serving', async () => {
    const { dp, listenPort } = await servedPool();
    const serving = dp.version!;
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    stops.push(() => new Promise((r) => blocker.close(r)));
    const taken = (blocker.address() as { port: number }).port;
    await api(cp1.url)('POST', '/pools', { name: 'clash', listenHost: '127.0.0.1', listenPort: taken, healthCheck: { enabled: false } });
    await eventually(async () => {
      const list = (await api(cp1.url)('GET', '/dataplanes')) as unknown as { name: string; lastError: string | null }[];
      return Boolean(list.find((d) => d.name === 'edge-1')?.lastError?.includes('cannot listen'));
    });
    // Only the pool that cannot bind is refused (an event of that pool); the revision applies to the rest.
    // The hub records the event after the data plane's row, which is what the wait above saw.
    const events = await waitFor(async () => {
      const list = (await api(cp1.url)('GET', '/events?kind=snapshot_refused')) as unknown as { message: string }[];
      return list.length > 0 ? list : undefined;
    }, 60_000);
    expect(events[0]?.message).toMatch(new RegExp(`refused revision ${serving + 1}: listener clash: cannot listen on 127.0.0.1:${taken}`));
    await eventually(() => dp.version === serving + 1);
    expect(Object.keys(await bodies(listenPort, 4)).sort()).toEqual(['a', 'b']);
  });

  it('keeps two control-plane replicas in sync through PostgreSQL', async () => {
    await servedPool();
    const cp2 = await startServer({ port: 0, host: '127.0.0.1', databaseUrl: db.url, apiOnly: true, log: () => {} });
    stops.push(() => cp2.close());
    // A second data plane on this host could not bind the same listeners, so this one speaks
    // the link protocol itself: hello, then ack what it is sent.
    const received: number[] = [];
    const ws = new WebSocket(`${cp2.url.replace('http', 'ws')}/ws/dataplane`, { headers: { authorization: `Bearer ${dpToken2}` } });
    stops.push(() => ws.close());
    let closed = 'still open';
    ws.on('close', (code, reason) => (closed = `closed ${code} ${reason.toString()}`));
    ws.on('error', () => {});
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', dataplaneId: 'edge-2', name: 'edge-2', softwareVersion: 'test', configVersion: null, configHash: null })));
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string; version?: number; hash?: string };
      if (msg.type !== 'snapshot') return;
      received.push(msg.version!);
      ws.send(JSON.stringify({ type: 'ack', version: msg.version, hash: msg.hash }));
    });
    // Generous: under a loaded machine the second replica's first queries can be slow.
    await eventually(() => received.length > 0, 40_000).catch((e) => {
      throw new Error(`no snapshot at all (${closed}): ${e}`);
    });
    const pool = (await api(cp1.url)('GET', '/pools/web')) as { version: number };
    await api(cp1.url)('PATCH', '/pools/web', { expectedVersion: pool.version, patch: { algorithm: 'round_robin' }, reason: 'through replica one' });
    const latest = ((await api(cp2.url)('GET', '/revisions?limit=1')) as unknown as { version: number }[])[0]!.version;
    await eventually(() => received.includes(latest)).catch((e) => {
      throw new Error(`got ${received} want ${latest}: ${e}`);
    });
    await eventually(async () => {
      const list = (await api(cp2.url)('GET', '/dataplanes')) as unknown as { name: string; appliedConfigVersion: number; connected: boolean }[];
      return list.filter((d) => d.connected && d.appliedConfigVersion === latest).length === 2;
    });
  });

  it('keeps serving when the control plane goes away, and serves from disk after a restart without it', async () => {
    const first = await servedPool();
    const { listenPort, dir } = first;
    await cp1.close();
    expect(Object.keys(await bodies(listenPort, 4)).sort()).toEqual(['a', 'b']);

    // The first data plane stops; a new one starts with the same state folder and no control plane.
    await first.dp.stop();
    const dp = new Dataplane({ id: 'edge-1-restarted' });
    stops.push(() => dp.stop());
    const saved = new LastGoodConfig(dir).load();
    expect(saved).toBeDefined();
    expect((await dp.applySnapshot(saved)).ok).toBe(true);
    expect(Object.keys(await bodies(listenPort, 4)).sort()).toEqual(['a', 'b']);
  });
});
