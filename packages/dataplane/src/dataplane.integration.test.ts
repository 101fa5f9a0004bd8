import { type Socket, connect, createServer } from 'node:net';
import type { TDataplaneEvent } from '@fulcrum/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane } from './dataplane';
import { applyOnFreePort, eventually, get, snapshotFor, startBackend, tally } from './test-support';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function newDataplane() {
  const dp = new Dataplane();
  const events: TDataplaneEvent[] = [];
  dp.on('event', (e) => events.push(e));
  cleanups.push(() => dp.stop());
  return { dp, events };
}

/** Sends `total` GETs with `concurrency` in flight; returns the statuses seen (`during` gets them as they come). */
async function load(port: number, total: number, concurrency: number, during?: (statuses: readonly (number | string)[]) => Promise<void>): Promise<(number | string)[]> {
  const statuses: (number | string)[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next++;
      try {
        const res = await get(port);
        statuses.push(res.status === 200 ? 200 : `${res.status} ${res.headers.get('x-fulcrum-error')}`);
      } catch {
        statuses.push(0);
      }
    }
  };
  await Promise.all([...Array.from({ length: concurrency }, worker), during?.(statuses)]);
  return statuses;
}

describe('data plane', () => {
  it('keeps idempotent requests succeeding when a backend dies, marks it unhealthy, and takes it back after rise checks', async () => {
    const a = await startBackend('a');
    const b = await startBackend('b');
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    // b "dies" by resetting every connection while it keeps its port: closing it and binding the
    // same port again later could find the port taken by another process on a busy machine.
    let bDead = false;
    b.server.prependListener('connection', (socket: Socket) => bDead && socket.destroy());
    const { dp, events } = newDataplane();
    // A generous timeout: a busy machine must not fail the live backend's checks; the dead one is refused at once.
    const hc = { enabled: true, type: 'http' as const, path: '/health', intervalMs: 100, timeoutMs: 2000, rise: 2, fall: 2 };
    const port = await applyOnFreePort(dp, (p) =>
      snapshotFor(
        p,
        [
          { name: 'a', port: a.port },
          { name: 'b', port: b.port },
        ],
        { healthCheck: hc, outlierDetection: { enabled: false } },
      ),
    );

    // The backend dies mid-load: once a quarter of the requests are answered, whatever the machine's speed.
    const statuses = await load(port, 400, 8, async (seen) => {
      await eventually(() => seen.length >= 100);
      bDead = true;
      b.server.closeAllConnections();
    });
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    await eventually(() => events.some((e) => e.kind === 'health_flip' && e.backendId === 'b' && /unhealthy/.test(e.message)));
    expect(dp.collectFrame().pools[0]!.backends.find((x) => x.backendId === 'b')!.health).toBe('unhealthy');

    bDead = false;
    await eventually(() => events.some((e) => e.kind === 'health_flip' && e.backendId === 'b' && / is healthy/.test(e.message)));
    const after = tally(await Promise.all(Array.from({ length: 20 }, () => get(port).then((r) => r.body))));
    expect(after.b).toBeGreaterThan(0);
  });

  it('ejects a backend after consecutive 5xx and never more than the allowed share', async () => {
    const good = await startBackend('good');
    const bad = await startBackend('bad', (_req, res) => {
      res.writeHead(500);
      res.end('boom');
    });
    cleanups.push(
      () => good.close(),
      () => bad.close(),
    );
    const { dp, events } = newDataplane();
    const port = await applyOnFreePort(dp, (p) =>
      snapshotFor(
        p,
        [
          { name: 'good', port: good.port },
          { name: 'bad', port: bad.port },
        ],
        { outlierDetection: { consecutiveErrors: 3, baseEjectionMs: 60_000, maxEjectionPercent: 50 } },
      ),
    );
    const bodies: string[] = [];
    for (let i = 0; i < 20; i++) bodies.push((await get(port)).body);
    expect(tally(bodies).boom).toBe(3);
    expect(events.find((e) => e.kind === 'ejection')?.message).toMatch(/ejected for 60 s after 3 consecutive errors/);
  });

  it('swaps config under load without failing a request', async () => {
    const backends = await Promise.all(['a', 'b', 'c'].map((n) => startBackend(n)));
    backends.forEach((b) => cleanups.push(() => b.close()));
    const { dp } = newDataplane();
    const algorithms = ['round_robin', 'least_connections', 'weighted_round_robin', 'p2c', 'consistent_hash'] as const;
    const port = await applyOnFreePort(dp, (p) =>
      snapshotFor(
        p,
        backends.map((b) => ({ name: b.name, port: b.port })),
      ),
    );
    // Twenty swaps spread over the load: one every 80 answered requests, whatever the machine's speed.
    const statuses = await load(port, 2000, 16, async (seen) => {
      for (let i = 0; i < 20; i++) {
        await eventually(() => seen.length >= (i + 1) * 80);
        const subset = backends.slice(0, 1 + (i % 3));
        const result = await dp.applySnapshot(
          snapshotFor(
            port,
            subset.map((b) => ({ name: b.name, port: b.port, weight: 1 + (i % 4) })),
            { algorithm: algorithms[i % algorithms.length] },
          ),
        );
        expect(result.ok).toBe(true);
      }
    });
    expect(statuses.length).toBe(2000);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it('refuses a bad snapshot with the reason and keeps serving the old one', async () => {
    const a = await startBackend('a');
    cleanups.push(() => a.close());
    const { dp, events } = newDataplane();
    const port = await applyOnFreePort(dp, (p) => snapshotFor(p, [{ name: 'a', port: a.port }]));
    const good = snapshotFor(port, [{ name: 'a', port: a.port }]);
    await dp.applySnapshot(good);
    const bad = { ...good, version: good.version + 1, pools: [{ ...good.pools[0], algorithm: 'fastest' }] };
    const result = await dp.applySnapshot(bad);
    expect(result).toMatchObject({ ok: false, keptVersion: good.version });
    expect(!result.ok && result.error).toMatch(/pools.0.algorithm/);
    expect(events.some((e) => e.kind === 'snapshot_refused')).toBe(true);
    expect((await get(port)).body).toBe('a');

    // A listener that cannot be bound refuses that pool only (runtime/apply-per-pool.integration.test.ts).
    const taken = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => taken.once('listening', r));
    cleanups.push(() => new Promise((r) => taken.close(r)));
    const clash = snapshotFor((taken.address() as { port: number }).port, [{ name: 'a-too', port: a.port }], {}, 'pool-2');
    const clashResult = await dp.applySnapshot({ ...clash, pools: [...good.pools, { ...clash.pools[0]!, name: 'other' }] });
    expect(clashResult).toMatchObject({ ok: true, refused: [{ pool: 'other', keptPrevious: false }] });
    expect((await get(port)).body).toBe('a');
  });

  it('skips an identical snapshot', async () => {
    const a = await startBackend('a');
    cleanups.push(() => a.close());
    const { dp } = newDataplane();
    const port = await applyOnFreePort(dp, (p) => snapshotFor(p, [{ name: 'a', port: a.port }]));
    const snap = snapshotFor(port, [{ name: 'a', port: a.port }]);
    await dp.applySnapshot(snap);
    expect(await dp.applySnapshot({ ...snap, version: snap.version + 1 })).toMatchObject({ ok: true, skipped: true });
  });

  it('forwards TCP connections with the same balancing', async () => {
    const echoes = await Promise.all(
      ['x', 'y'].map(
        (name) =>
          new Promise<{ port: number; close: () => Promise<void> }>((resolve) => {
            const srv = createServer((s) => s.on('data', (d) => s.write(`${name}:${d.toString()}`)));
            srv.listen(0, '127.0.0.1', () => resolve({ port: (srv.address() as { port: number }).port, close: () => new Promise((r) => srv.close(() => r())) }));
          }),
      ),
    );
    echoes.forEach((e) => cleanups.push(e.close));
    const { dp } = newDataplane();
    const port = await applyOnFreePort(dp, (p) =>
      snapshotFor(
        p,
        [
          { name: 'x', port: echoes[0]!.port },
          { name: 'y', port: echoes[1]!.port },
        ],
        { protocol: 'tcp', healthCheck: { enabled: false } },
      ),
    );
    const replies: string[] = [];
    for (let i = 0; i < 4; i++) {
      replies.push(
        await new Promise<string>((resolve, reject) => {
          const s = connect(port, '127.0.0.1', () => s.write('ping'));
          s.once('data', (d) => {
            resolve(d.toString());
            s.destroy();
          });
          s.once('error', reject);
        }),
      );
    }
    expect(replies.sort()).toEqual(['x:ping', 'x:ping', 'y:ping', 'y:ping']);
  });

  it('retries a TCP connection whose backend refuses it on another backend, and counts its bytes once, to that backend', async () => {
    const echo = await new Promise<{ port: number; close: () => Promise<void> }>((resolve) => {
      const srv = createServer((s) => s.on('data', (d) => s.write(`live:${d.toString()}`)));
      srv.listen(0, '127.0.0.1', () => resolve({ port: (srv.address() as { port: number }).port, close: () => new Promise((r) => srv.close(() => r())) }));
    });
    cleanups.push(echo.close);
    const { dp } = newDataplane();
    // Port 1 on loopback: nothing listens there, every connect is refused at once.
    const backends = [
      { name: 'dead', port: 1 },
      { name: 'live', port: echo.port },
    ];
    const port = await applyOnFreePort(dp, (p) => snapshotFor(p, backends, { protocol: 'tcp', healthCheck: { enabled: false }, outlierDetection: { enabled: false }, retries: { attempts: 1 } }));
    dp.collectFrame();
    const replies: string[] = [];
    for (let i = 0; i < 6; i++) {
      replies.push(
        await new Promise<string>((resolve, reject) => {
          const s = connect(port, '127.0.0.1', () => s.write('ping'));
          s.once('data', (d) => {
            resolve(d.toString());
            s.destroy();
          });
          s.once('close', () => resolve('closed unanswered'));
          s.once('error', reject);
        }),
      );
    }
    expect(replies).toEqual(Array(6).fill('live:ping'));
    const frame = dp.collectFrame().pools[0]!;
    const by = (id: string) => frame.backends.find((b) => b.backendId === id)!;
    expect(by('live').bytesIn).toBe(6 * 'ping'.length);
    expect(by('dead').bytesIn).toBe(0);
    expect(by('dead').errors.connect).toBeGreaterThan(0);
  });

  it('reports per-backend stats frames with status classes, bytes and latency', async () => {
    const a = await startBackend('a');
    cleanups.push(() => a.close());
    const { dp } = newDataplane();
    const port = await applyOnFreePort(dp, (p) => snapshotFor(p, [{ name: 'a', port: a.port }]));
    dp.collectFrame();
    for (let i = 0; i < 10; i++) await get(port);
    const frame = dp.collectFrame();
    const s = frame.pools[0]!.backends[0]!;
    expect(s).toMatchObject({ backendId: 'a', requests: 10, responses: { '2xx': 10 }, activeConnections: 0 });
    expect(s.bytesOut).toBe(10);
    expect(s.latencyMs.p99).toBeGreaterThan(0);
    expect(dp.collectFrame().pools[0]!.backends[0]!.requests).toBe(0);
  });
});
