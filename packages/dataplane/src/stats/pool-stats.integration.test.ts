import type { TDataplaneEvent, TStatsFrame } from '@fulcrum/protocol';
import { ZStatsFrame } from '@fulcrum/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { hasPromtool, promtoolCheck } from '../admin/promtool';
import { Dataplane } from '../dataplane';
import { eventually, freePort, get, snapshotFor, startBackend, startTestAdmin } from '../test-support';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function withAdmin(dp: Dataplane) {
  const admin = await startTestAdmin(dp);
  cleanups.push(() => admin.close());
  const text = admin.text;
  return {
    metrics: () => text('/metrics'),
    stats: async () => JSON.parse(await text('/stats')) as { lastSecond: { pool: string; responses: number; errorRate: number; causes: Record<string, { count: number }> }[] },
  };
}

/** Sends `total` GETs, `concurrency` at a time; returns the statuses. */
async function load(port: number, total: number, concurrency: number): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < total) {
      next++;
      statuses.push(
        await get(port).then(
          (r) => r.status,
          () => 0,
        ),
      );
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

/** One frame, checked against the schema the control plane parses it with. */
function frame(dp: Dataplane): TStatsFrame {
  return ZStatsFrame.parse(JSON.parse(JSON.stringify(dp.collectFrame())));
}

const sample = (metrics: string, line: string) => Number(new RegExp(`^${line.replace(/[{}."+]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(metrics)?.[1] ?? Number.NaN);

describe('pool client counters', () => {
  it('count every 503 the proxy answers when all backends are down: error rate 100 % with cause "no healthy backend" in the frame, /stats and /metrics', async () => {
    const a = await startBackend('a');
    const b = await startBackend('b');
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    const port = await freePort();
    const dp = new Dataplane();
    const events: TDataplaneEvent[] = [];
    dp.on('event', (e) => events.push(e));
    cleanups.push(() => dp.stop());
    const hc = { enabled: true, type: 'http' as const, path: '/health', intervalMs: 100, timeoutMs: 500, rise: 1, fall: 1 };
    await dp.applySnapshot(
      snapshotFor(
        port,
        [
          { name: 'a', port: a.port },
          { name: 'b', port: b.port },
        ],
        { name: 'web', healthCheck: hc },
      ),
    );
    const admin = await withAdmin(dp);
    expect((await load(port, 20, 4)).every((s) => s === 200)).toBe(true);

    await a.close();
    await b.close();
    await eventually(() => events.filter((e) => e.kind === 'health_flip' && /unhealthy/.test(e.message)).length === 2, 30_000);
    frame(dp); // the interval with the healthy traffic ends here
    const statuses = await load(port, 48, 4);
    expect(statuses.every((s) => s === 503)).toBe(true);

    const f = frame(dp);
    const pool = f.pools[0]!;
    expect(pool.client).toMatchObject({ responses: { '1xx': 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 48 }, proxyResponses: { no_healthy_backend: 48 } });
    // No upstream attempt was made: the backends' counters stay at zero.
    expect(pool.backends.reduce((n, x) => n + x.requests, 0)).toBe(0);

    const stats = await admin.stats();
    expect(stats.lastSecond[0]).toMatchObject({ pool: 'web', responses: 48, errorRate: 1, causes: { no_healthy_backend: { count: 48 } } });

    const metrics = await admin.metrics();
    expect(sample(metrics, 'fulcrum_pool_responses_total{pool="web",code="5xx"}')).toBe(48);
    expect(sample(metrics, 'fulcrum_pool_responses_total{pool="web",code="2xx"}')).toBe(20);
    expect(sample(metrics, 'fulcrum_pool_proxy_responses_total{pool="web",cause="no_healthy_backend",code="503"}')).toBe(48);
    expect(sample(metrics, 'fulcrum_pool_request_duration_seconds_count{pool="web"}')).toBe(68);
    expect(sample(metrics, 'fulcrum_pool_client_connections_total{pool="web",event="accepted"}')).toBeGreaterThan(0);
    if (hasPromtool()) expect(promtoolCheck(metrics)).toBe('');
  });

  it('count no client error when retries cover a killed backend, while the backend shows its failed attempts', async () => {
    const a = await startBackend('a');
    const b = await startBackend('b');
    cleanups.push(
      () => a.close(),
      () => b.close(),
    );
    const port = await freePort();
    const dp = new Dataplane();
    cleanups.push(() => dp.stop());
    // No health checks and no ejection: every round-robin turn on the dead backend fails to connect and is retried.
    await dp.applySnapshot(
      snapshotFor(
        port,
        [
          { name: 'a', port: a.port },
          { name: 'b', port: b.port },
        ],
        { name: 'web', outlierDetection: { enabled: false } },
      ),
    );
    const admin = await withAdmin(dp);
    await b.close();
    const statuses = await load(port, 60, 2);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);

    const f = frame(dp);
    const pool = f.pools[0]!;
    const dead = pool.backends.find((x) => x.backendId === 'b')!;
    expect(pool.client!.responses['2xx']).toBe(60);
    expect(pool.client!.responses['5xx']).toBe(0);
    expect(pool.client!.proxyResponses).toEqual({});
    expect(dead.errors.connect).toBeGreaterThan(0);
    expect(pool.client!.retries).toBe(dead.errors.connect);

    const stats = await admin.stats();
    expect(stats.lastSecond[0]).toMatchObject({ responses: 60, errorRate: 0 });
    const metrics = await admin.metrics();
    expect(sample(metrics, 'fulcrum_pool_responses_total{pool="web",code="5xx"}')).toBe(0);
    expect(sample(metrics, `fulcrum_backend_errors_total{pool="web",backend="127.0.0.1:${b.port}",kind="connect"}`)).toBe(dead.errors.connect);
  });

  it("count a client that leaves before its answer as a reset, and the listener's own 408", async () => {
    let reached!: () => void;
    const atBackend = new Promise<void>((r) => (reached = r));
    const slow = await startBackend('slow', (req, res) => {
      reached();
      req.resume();
      setTimeout(() => res.end('late'), 2000).unref();
    });
    cleanups.push(() => slow.close());
    const port = await freePort();
    const dp = new Dataplane();
    cleanups.push(() => dp.stop());
    await dp.applySnapshot(snapshotFor(port, [{ name: 'slow', port: slow.port }], { name: 'web', timeouts: { connectMs: 1000, firstByteMs: 10_000, idleMs: 300 } }));
    // The client leaves once its request is at the backend (not after a fixed time, which a
    // loaded machine could spend before the request even got there).
    const leave = new AbortController();
    const left = fetch(`http://127.0.0.1:${port}/`, { signal: leave.signal }).catch(() => undefined);
    await atBackend;
    leave.abort();
    await left;
    const { connect } = await import('node:net');
    const sock = connect(port, '127.0.0.1');
    sock.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const answer = await new Promise<string>((resolve) => {
      let got = '';
      sock.on('data', (c) => (got += c.toString()));
      sock.on('close', () => resolve(got));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    await eventually(() => dp.metricsView().pools[0]!.client.connections.reset === 1);
    const client = dp.metricsView().pools[0]!.client;
    expect(client.proxyResponses).toEqual({ request_timeout: 1 });
    expect(client.responses['4xx']).toBe(1);
  });
});
