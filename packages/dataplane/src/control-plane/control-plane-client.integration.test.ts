import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { type TConfigSnapshotV1 as TConfigSnapshot, type TDataplaneToControl, WS_CLOSE, ZConfigSnapshot } from '@fulcrum/protocol';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type WebSocket, WebSocketServer } from 'ws';
import { Dataplane } from '../dataplane';
import { LastGoodConfig } from '../state/last-good-config';
import { type TestBackend, applyOnFreePort, eventually, get, snapshotFor, startBackend } from '../test-support';
import { ControlPlaneClient } from './control-plane-client';

/**
 * A stand-in control plane on a real WebSocket server (port 0): records what data planes send.
 * `down()` makes it gone for its clients (their sockets dropped, every new connection reset)
 * while it keeps its port, and `up()` brings it back on the same address: closing and binding
 * the same port again would race every other process on the machine for it.
 */
async function fakeControlPlane(token = 'flc_good') {
  const received: TDataplaneToControl[] = [];
  const sockets = new Set<WebSocket>();
  const auth: string[] = [];
  let gone = false;
  const http: Server = createServer();
  http.on('connection', (socket) => {
    if (gone) socket.destroy();
  });
  const wss = new WebSocketServer({ server: http });
  wss.on('connection', (ws, req) => {
    auth.push(req.headers.authorization ?? '');
    if (req.headers.authorization !== `Bearer ${token}`) return ws.close(WS_CLOSE.unauthorized, 'unknown, revoked or expired token');
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (d) => {
      const msg = JSON.parse(d.toString()) as TDataplaneToControl;
      received.push(msg);
      if (msg.type === 'ping') ws.send(JSON.stringify({ type: 'pong', ts: msg.ts }));
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const actualPort = (http.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${actualPort}/ws/dataplane`,
    port: actualPort,
    received,
    auth,
    sockets,
    of: <T extends TDataplaneToControl['type']>(type: T) => received.filter((m): m is Extract<TDataplaneToControl, { type: T }> => m.type === type),
    /** Sends any control-plane message to every linked data plane. */
    send: (msg: unknown) => sockets.forEach((ws) => ws.send(JSON.stringify(msg))),
    push: (config: { version: number; hash: string } & Record<string, unknown>) =>
      sockets.forEach((ws) => ws.send(JSON.stringify({ type: 'snapshot', version: config.version, hash: config.hash, config }))),
    down: () => {
      gone = true;
      sockets.forEach((ws) => ws.terminate());
    },
    up: () => {
      received.length = 0;
      auth.length = 0;
      gone = false;
    },
    close: () =>
      new Promise<void>((r) => {
        sockets.forEach((ws) => ws.terminate());
        wss.close();
        http.close(() => r());
      }),
  };
}

/**
 * Pushes `build(port)` on a free port and waits for the data plane's answer; pushes another
 * port when it could not bind that one (another process took it after it was probed).
 */
async function pushOnFreePort(cp: Awaited<ReturnType<typeof fakeControlPlane>>, build: (port: number) => TConfigSnapshot): Promise<TConfigSnapshot> {
  let pushed: TConfigSnapshot | undefined;
  await applyOnFreePort(
    {
      async applySnapshot(snapshot) {
        pushed = snapshot;
        cp.push(snapshot);
        await eventually(() => cp.received.some((m) => (m.type === 'ack' || m.type === 'nack') && m.version === snapshot.version));
        const nack = cp.of('nack').find((m) => m.version === snapshot.version);
        if (nack) return { ok: false, error: nack.error, keptVersion: nack.keptVersion };
        const ack = cp.of('ack').find((m) => m.version === snapshot.version);
        return { ok: true, version: snapshot.version, refused: ack?.refused ?? [] };
      },
    },
    build,
  );
  return pushed!;
}

const dirs: string[] = [];
const cleanup: (() => Promise<unknown> | unknown)[] = [];
const tmpDir = () => {
  const d = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-cp-client-'));
  dirs.push(d);
  return d;
};

afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function startClient(url: string, lastGood: LastGoodConfig, opts: { token?: string; heartbeatMs?: number } = {}) {
  const dp = new Dataplane({ id: 'edge-test' });
  const client = new ControlPlaneClient(dp, {
    url,
    token: opts.token ?? 'flc_good',
    name: 'edge',
    softwareVersion: '9.9.9',
    lastGood,
    statsIntervalMs: 200,
    backoffBaseMs: 50,
    backoffMaxMs: 400,
    heartbeatMs: opts.heartbeatMs,
  });
  client.start();
  cleanup.push(
    () => dp.stop(),
    () => client.stop(),
  );
  return { dp, client };
}

describe('ControlPlaneClient', () => {
  let a: TestBackend;
  let b: TestBackend;

  it('sends live-tail records only for the pools the control plane asks for, and stops when told', async () => {
    const backend = await startBackend('t');
    cleanup.push(() => backend.close());
    const cp = await fakeControlPlane();
    cleanup.push(() => cp.close());
    const { dp } = startClient(cp.url, new LastGoodConfig(tmpDir()));
    await eventually(() => cp.of('hello').length === 1);
    const snap = await pushOnFreePort(cp, (port) => snapshotFor(port, [{ name: 't', port: backend.port }]));
    const listenPort = snap.pools[0]!.listenPort;
    const paths = () => cp.of('tail_lines').flatMap((m) => m.lines.map((l) => l.path));
    await get(listenPort, '/before-watch');
    cp.send({ type: 'tail', poolIds: ['pool-1'] });
    // The request after the ask is tailed (asked again until the message has landed).
    await eventually(async () => {
      await get(listenPort, '/watched');
      return paths().includes('/watched');
    });
    expect(paths()).not.toContain('/before-watch');
    const line = cp
      .of('tail_lines')
      .flatMap((m) => m.lines)
      .find((l) => l.path === '/watched')!;
    expect(line).toMatchObject({ poolId: 'pool-1', status: 200, upstream: `127.0.0.1:${backend.port}`, termination: 'normal' });
    cp.send({ type: 'tail', poolIds: [] });
    await eventually(() => !dp.access.tail.watching('pool-1'));
    await get(listenPort, '/after-stop');
    // Stats frames (every 200 ms) as the clock: a tail batch would have gone out (every 250 ms) long before the fifth.
    const frames = cp.of('stats').length;
    await eventually(() => cp.of('stats').length >= frames + 5);
    expect(paths()).not.toContain('/after-stop');
  });

  it('says hello with its token, applies and acks pushed snapshots, saves them, and streams stats and events', async () => {
    a = await startBackend('a');
    b = await startBackend('b');
    cleanup.push(
      () => a.close(),
      () => b.close(),
    );
    const cp = await fakeControlPlane();
    cleanup.push(() => cp.close());
    const lastGood = new LastGoodConfig(tmpDir());
    const { dp } = startClient(cp.url, lastGood);
    await eventually(() => cp.of('hello').length === 1);
    expect(cp.auth[0]).toBe('Bearer flc_good');
    expect(cp.of('hello')[0]).toMatchObject({ dataplaneId: 'edge-test', name: 'edge', softwareVersion: '9.9.9', configVersion: null, configHash: null });

    const snap = await pushOnFreePort(cp, (port) =>
      snapshotFor(port, [
        { name: 'a', port: a.port },
        { name: 'b', port: b.port },
      ]),
    );
    const listenPort = snap.pools[0]!.listenPort;
    expect(cp.of('ack').at(-1)).toEqual({ type: 'ack', version: snap.version, hash: snap.hash });
    expect(dp.version).toBe(snap.version);
    expect((await get(listenPort)).status).toBe(200);
    expect(lastGood.load()).toEqual(ZConfigSnapshot.parse(snap));

    await eventually(() => cp.of('stats').some((m) => m.frame.pools.some((p) => p.backends.some((x) => x.requests > 0))));
    expect(cp.of('stats').at(-1)!.frame).toMatchObject({ dataplaneId: 'edge-test', configVersion: snap.version });

    // A snapshot that fails the shared schema is nacked with the reason; the old one keeps serving.
    const bad = { ...snapshotFor(listenPort, [{ name: 'a', port: a.port }]), pools: [{ name: 'broken' }] };
    cp.push(bad);
    await eventually(() => cp.of('nack').some((m) => m.version === bad.version));
    expect(cp.of('nack').find((m) => m.version === bad.version)).toMatchObject({ version: bad.version, keptVersion: snap.version, error: expect.stringMatching(/pools/) });
    expect(dp.version).toBe(snap.version);
    expect(lastGood.load()).toEqual(ZConfigSnapshot.parse(snap));
    expect((await get(listenPort)).status).toBe(200);

    // A backend going away is noticed by the passive checks or the proxy and reported as an event.
    dp.emit('event', { kind: 'health_flip', severity: 'warning', poolId: 'pool-1', backendId: 'a', message: 'a went down', ts: Date.now() });
    await eventually(() => cp.of('event').some((m) => m.event.message === 'a went down'));
  });

  it('keeps serving while the control plane is gone and reconnects with backoff when it is back', async () => {
    const backend = await startBackend('only');
    cleanup.push(() => backend.close());
    const cp = await fakeControlPlane();
    cleanup.push(() => cp.close());
    const { dp, client } = startClient(cp.url, new LastGoodConfig(tmpDir()));
    await eventually(() => cp.of('hello').length === 1);
    const snap = await pushOnFreePort(cp, (port) => snapshotFor(port, [{ name: 'only', port: backend.port }]));
    const listenPort = snap.pools[0]!.listenPort;

    cp.down();
    await eventually(() => !client.connected);
    for (let i = 0; i < 3; i++) expect((await get(listenPort)).body).toBe('only');

    cp.up();
    // Backoff is capped at 400 ms here; the deadline only bounds a hang on a loaded machine.
    await eventually(() => cp.of('hello').length === 1);
    expect(cp.of('hello')[0]).toMatchObject({ configVersion: snap.version, configHash: snap.hash });
    expect(dp.version).toBe(snap.version);
  });

  it('drops a control plane that stops answering heartbeats, and reconnects', async () => {
    const cp = await fakeControlPlane();
    cleanup.push(() => cp.close());
    startClient(cp.url, new LastGoodConfig(tmpDir()), { heartbeatMs: 100 });
    await eventually(() => cp.of('hello').length === 1);
    // The server stops reading this socket, as a hung peer would: no pongs, no pings.
    for (const ws of cp.sockets) (ws as unknown as { _socket: { pause(): void } })._socket.pause();
    await eventually(() => cp.of('hello').length === 2);
  });

  it('backs off after a refused token and keeps trying', async () => {
    const cp = await fakeControlPlane();
    cleanup.push(() => cp.close());
    const { client } = startClient(cp.url, new LastGoodConfig(tmpDir()), { token: 'flc_bad' });
    // Each attempt is refused with the close code, and the client keeps trying.
    await eventually(() => cp.auth.length >= 2 && client.lastClose !== undefined);
    expect(cp.auth.every((a) => a === 'Bearer flc_bad')).toBe(true);
    expect(client.lastClose).toMatchObject({ code: WS_CLOSE.unauthorized, reason: 'unknown, revoked or expired token' });
  });
});
