import { type TAccessRecord, type TConfigSnapshotV2Input, type TRouteConfigInput, ZBackendConfig, ZPoolConfig, ZStatsFrame } from '@fulcrum/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { hasPromtool, promtoolCheck } from '../admin/promtool';
import { parseResponses, rawClient } from '../http/upstream/raw-test-peers';
import { applyOnFreePort, dataplaneWithAccessLog, eventually, get, startBackend, startTestAdmin } from '../test-support';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

let version = 0;

/**
 * A listener `edge` with a pool route and every answer a listener gives itself: a redirect, a
 * fixed response, a rate-limited fixed response and a rate-limited pool route; anything else is
 * 404. Logs to a file; the pool's access log samples nothing but what is noteworthy.
 */
async function edge(sampleRate = 1) {
  const app = await startBackend('app');
  cleanups.push(() => app.close());
  const { dp, records } = dataplaneWithAccessLog(cleanups, 'fulcrum-answers-');
  const { listenHost: _h, listenPort: _p, ...config } = ZPoolConfig.parse({ name: 'web', listenPort: 1, healthCheck: { enabled: false }, accessLog: { sampleRate } });
  const pools = [{ ...config, id: 'web', backends: [{ ...ZBackendConfig.parse({ host: '127.0.0.1', port: app.port }), id: 'web-1' }] }];
  const routes: TRouteConfigInput[] = [
    { name: 'app', match: { path: { type: 'prefix', value: '/app' } }, action: { type: 'pool', poolId: 'web' } },
    { name: 'limited-app', match: { path: { type: 'prefix', value: '/busy' } }, action: { type: 'pool', poolId: 'web' }, rateLimit: { requestsPerSecond: 0.01, burst: 1 } },
    { name: 'moved', match: { path: { type: 'prefix', value: '/old' } }, action: { type: 'redirect', status: 301, location: '/new$request_uri' } },
    { name: 'status', match: { path: { type: 'exact', value: '/status' } }, action: { type: 'fixed', status: 200, body: 'up', contentType: 'text/plain' } },
    { name: 'limited-fixed', match: { path: { type: 'exact', value: '/quota' } }, action: { type: 'fixed', status: 200, body: 'ok' }, rateLimit: { requestsPerSecond: 0.01, burst: 1 } },
  ];
  const port = await applyOnFreePort(dp, (p): TConfigSnapshotV2Input => {
    version++;
    return { schema: 2, version, hash: `answers-${version}`, pools, listeners: [{ id: 'edge-id', name: 'edge', address: '127.0.0.1', port: p, routes: routes.map((r) => ({ id: r.name, ...r })) }] };
  });
  const admin = await startTestAdmin(dp);
  cleanups.push(() => admin.close());
  const text = admin.text;
  return {
    dp,
    port,
    app,
    records,
    metrics: () => text('/metrics'),
    stats: async () =>
      JSON.parse(await text('/stats')) as { listeners: { listener: string; answers: Record<string, number> }[]; listenersLastSecond: { listener: string; answers: Record<string, number> }[] },
  };
}

/** One of each answer: the app, a 404, a redirect, a fixed response, a fixed route over its limit, a pool route over its limit. */
async function oneOfEach(port: number) {
  const statuses: Record<string, number> = {};
  statuses.app = (await get(port, '/app')).status;
  statuses.none = (await get(port, '/nowhere', { 'x-request-id': 'rid-404', 'user-agent': 'probe/1' })).status;
  const res = await fetch(`http://127.0.0.1:${port}/old/page?x=1`, { redirect: 'manual', signal: AbortSignal.timeout(10_000) });
  await res.text();
  statuses.redirect = res.status;
  statuses.fixed = (await get(port, '/status')).status;
  statuses.quota = (await get(port, '/quota')).status;
  statuses.quotaOver = (await get(port, '/quota')).status;
  statuses.busy = (await get(port, '/busy')).status;
  statuses.busyOver = (await get(port, '/busy')).status;
  return statuses;
}

describe("a listener's own answers", () => {
  it('are counted as the listener’s in frames, /stats and /metrics, never as the pool’s', async () => {
    const { dp, port, metrics, stats } = await edge();
    dp.collectFrame(); // start a fresh interval
    expect(await oneOfEach(port)).toEqual({ app: 200, none: 404, redirect: 301, fixed: 200, quota: 200, quotaOver: 429, busy: 200, busyOver: 429 });

    const frame = ZStatsFrame.parse(JSON.parse(JSON.stringify(dp.collectFrame())));
    expect(frame.listeners).toEqual([{ listenerId: 'edge-id', responses: { '1xx': 0, '2xx': 2, '3xx': 1, '4xx': 2, '5xx': 0 }, answers: { no_route: 1, redirect: 1, fixed: 2, rate_limited: 1 } }]);
    // The pool's clients got its two proxied answers and the 429 of its own route's limit; the 404 is nobody's pool.
    const web = frame.pools.find((p) => p.poolId === 'web')!.client!;
    expect(web.responses).toEqual({ '1xx': 0, '2xx': 2, '3xx': 0, '4xx': 1, '5xx': 0 });
    expect(web.proxyResponses).toEqual({ rate_limited: 1 });
    // A quiet interval reports no listener at all.
    expect(dp.collectFrame().listeners).toBeUndefined();

    const text = await metrics();
    expect(text).toContain('fulcrum_listener_answers_total{listener="edge",answer="no_route"} 1');
    expect(text).toContain('fulcrum_listener_answers_total{listener="edge",answer="redirect"} 1');
    expect(text).toContain('fulcrum_listener_answers_total{listener="edge",answer="fixed"} 2');
    expect(text).toContain('fulcrum_listener_responses_total{listener="edge",code="4xx"} 2');
    expect(text).toContain('fulcrum_pool_proxy_responses_total{pool="web",cause="no_route",code="404"} 0');
    if (hasPromtool()) expect(promtoolCheck(text)).toBe('');
    const s = await stats();
    expect(s.listeners.find((l) => l.listener === 'edge')!.answers).toEqual({ no_route: 1, redirect: 1, fixed: 2, rate_limited: 1 });
  });

  it('to an upgrade request close once the client has them, though the client never closes its side', async () => {
    const { dp, port } = await edge();
    // node:http hands an upgrade over at its head; a route's own answer then ends the connection
    // and waits for the client's end, which a hostile client never sends.
    const clients = await Promise.all(['/old/ws', '/status', '/nowhere'].map(() => rawClient(port, { allowHalfOpen: true })));
    ['/old/ws', '/status', '/nowhere'].forEach((path, i) => {
      const client = clients[i]!;
      cleanups.push(() => client.socket.destroy());
      client.send(`GET ${path} HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`);
    });
    for (const client of clients) await client.until((t) => parseResponses(t).responses.length === 1);
    expect(clients.map((c) => parseResponses(c.text()).responses[0]!.status)).toEqual([301, 200, 404]);
    // Cut after a bounded wait, as a refusal is: a connection left open for good is an fd lost.
    await eventually(() => dp.connections().open === 0, 15_000);
  });

  it('are written to the access log with their termination cause', async () => {
    const { port, records } = await edge();
    await oneOfEach(port);
    await eventually(() => records().length === 8);
    const by = (p: string, status: number) => records().filter((r) => r.path === p && r.status === status);
    expect(by('/nowhere', 404)).toEqual([
      expect.objectContaining<Partial<TAccessRecord>>({
        termination: 'no_route',
        listener: 'edge',
        pool: '',
        poolId: '',
        requestId: 'rid-404',
        userAgent: 'probe/1',
        attempts: 0,
        upstream: '',
        clientIp: '127.0.0.1',
        method: 'GET',
      }),
    ]);
    expect(by('/old/page?x=1', 301)).toEqual([expect.objectContaining({ termination: 'normal', listener: 'edge', bytesOut: '/new/old/page?x=1\n'.length })]);
    expect(by('/status', 200)).toEqual([expect.objectContaining({ termination: 'normal', listener: 'edge', bytesOut: 2 })]);
    expect(by('/quota', 429)).toEqual([expect.objectContaining({ termination: 'rate_limited', listener: 'edge', pool: '' })]);
    // A pool route's limit is logged as the pool's.
    expect(by('/busy', 429)).toEqual([expect.objectContaining({ termination: 'rate_limited', pool: 'web', poolId: 'web', listener: 'edge' })]);
    expect(by('/app', 200)).toEqual([expect.objectContaining({ termination: 'normal', pool: 'web' })]);
  });

  it('keep 404s and 429s in a sampled log, as every abnormal end is kept', async () => {
    const { port, records } = await edge(0);
    await oneOfEach(port);
    await eventually(() => records().length === 3);
    expect(
      records()
        .map((r) => `${r.status} ${r.termination}`)
        .sort(),
    ).toEqual(['404 no_route', '429 rate_limited', '429 rate_limited']);
  });
});
