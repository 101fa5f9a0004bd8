import { type IncomingMessage, type ServerResponse, request } from 'node:http';
import { connect } from 'node:net';
import { type TConfigSnapshotV2Input, type TRouteConfigInput, ZBackendConfig, ZPoolConfig } from '@fulcrum/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane } from '../dataplane';
import { type TestBackend, applyOnFreePort, startBackend, startHeldBackend } from '../test-support';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** A backend that answers with what it received: its name, the target and the headers. */
const echo = (req: IncomingMessage, res: ServerResponse, b: TestBackend) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-powered-by': 'backend', 'x-backend': b.name });
    res.end(JSON.stringify({ backend: b.name, url: req.url, headers: req.headers }));
  });
};

async function backends(...names: string[]): Promise<TestBackend[]> {
  const out = await Promise.all(names.map((n) => startBackend(n, echo)));
  cleanup.push(() => Promise.all(out.map((b) => b.close())).then(() => undefined));
  return out;
}

const pool = (b: TestBackend, extra: object = {}) => {
  const { listenHost: _h, listenPort: _p, ...config } = ZPoolConfig.parse({ name: b.name, listenPort: 1, healthCheck: { enabled: false }, ...extra });
  return { ...config, id: b.name, backends: [{ ...ZBackendConfig.parse({ host: '127.0.0.1', port: b.port }), id: `${b.name}-1` }] };
};

let version = 0;
function snapshot(port: number, pools: ReturnType<typeof pool>[], routes: (TRouteConfigInput & { id?: string })[]): TConfigSnapshotV2Input {
  version++;
  return {
    schema: 2,
    version,
    hash: `routes-${version}-${Math.random()}`,
    pools,
    listeners: [{ id: 'edge', name: 'edge', address: '127.0.0.1', port, routes: routes.map((r) => ({ id: r.name, ...r })) }],
  };
}

async function start(pools: ReturnType<typeof pool>[], routes: (TRouteConfigInput & { id?: string })[]): Promise<{ dp: Dataplane; port: number }> {
  const dp = new Dataplane();
  cleanup.push(() => dp.stop());
  const port = await applyOnFreePort(dp, (p) => snapshot(p, pools, routes));
  return { dp, port };
}

const toPool = (poolId: string) => ({ type: 'pool' as const, poolId });

/** A request through node:http, which (unlike fetch) sends the Host header it is given. */
function get(port: number, path = '/', headers: Record<string, string> = {}, method = 'GET', body?: string): Promise<{ status: number; body: string; headers: Map<string, string> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, headers, timeout: 10_000 }, (res) => {
      let data = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (data += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: data, headers: new Map(Object.entries(res.headers).map(([k, v]) => [k, String(v)])) }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(body);
  });
}

/** One request written as raw bytes (so Host can be anything), answered on a closing connection. */
function raw(port: number, head: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error('raw request timed out')));
    socket.on('data', (c) => (data += c.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => {
      const [headText = '', body = ''] = data.split('\r\n\r\n');
      const [statusLine = '', ...lines] = headText.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body });
    });
    socket.write(head);
  });
}

describe('routes on a listener', () => {
  it('picks by priority, then exact host > wildcard > any, then the longest path', async () => {
    const [api, site, rest] = await backends('api', 'site', 'rest');
    const { port } = await start(
      [pool(api!), pool(site!), pool(rest!)],
      [
        { name: 'catch-all', action: toPool('rest') },
        { name: 'wild', match: { hosts: ['*.example.com'] }, action: toPool('site') },
        { name: 'api', match: { hosts: ['api.example.com'] }, action: toPool('api') },
        { name: 'static', match: { path: { type: 'prefix', value: '/static' } }, action: { type: 'fixed', status: 200, body: 'static' } },
        { name: 'status', priority: 10, match: { path: { type: 'exact', value: '/status' } }, action: { type: 'fixed', status: 200, body: 'up', contentType: 'text/plain' } },
        { name: 'php', match: { path: { type: 'regex', value: '\\.php$' } }, action: { type: 'fixed', status: 403, body: 'no php' } },
      ],
    );
    const backendOf = async (host: string, path = '/') => {
      const r = await get(port, path, { host });
      return r.headers.get('x-backend') ?? r.body;
    };
    expect(await backendOf('api.example.com')).toBe('api');
    expect(await backendOf('www.example.com')).toBe('site');
    expect(await backendOf('a.b.example.com')).toBe('site');
    expect(await backendOf('example.com')).toBe('rest');
    expect(await backendOf('other.org')).toBe('rest');
    expect(await backendOf('api.example.com', '/status')).toBe('up');
    // A matching host outranks a matching path of equal priority (exact host > any host).
    expect(await backendOf('api.example.com', '/static/x.css')).toBe('api');
    expect(await backendOf('other.org', '/static/x.css')).toBe('static');
    const php = await get(port, '/index.php', { host: 'other.org' });
    expect([php.status, php.body]).toEqual([403, 'no php']);
  });

  it('answers redirects with variables and fixed responses, and 404 when no route matches', async () => {
    const { port } = await start(
      [],
      [
        { name: 'to-https', match: { hosts: ['old.example.com'] }, action: { type: 'redirect', status: 308, location: 'https://$host$request_uri' } },
        { name: 'moved', match: { path: { type: 'prefix', value: '/old' } }, action: { type: 'redirect', status: 301, location: '/new' } },
        {
          name: 'teapot',
          match: { path: { type: 'exact', value: '/tea' }, methods: ['POST'] },
          action: { type: 'fixed', status: 418, body: '{"tea":true}', contentType: 'application/json' },
          headers: { response: [{ op: 'set', name: 'X-Kind', value: 'tea for $client_ip' }] },
        },
      ],
    );
    const r = await get(port, '/a/b?c=1', { host: 'OLD.example.com:8080' });
    expect(r.status).toBe(308);
    expect(r.headers.get('location')).toBe('https://old.example.com/a/b?c=1');
    const moved = await get(port, '/old/page');
    expect([moved.status, moved.headers.get('location')]).toEqual([301, '/new']);
    const tea = await get(port, '/tea', {}, 'POST', 'x');
    expect([tea.status, tea.headers.get('content-type'), tea.headers.get('x-kind'), tea.body]).toEqual([418, 'application/json', 'tea for 127.0.0.1', '{"tea":true}']);
    const none = await get(port, '/tea');
    expect(none.status).toBe(404);
    expect(none.headers.get('x-fulcrum-error')).toMatch(/no route/);
  });

  it('applies header rules after the proxy’s own headers, and rewrites the path', async () => {
    const [app] = await backends('app');
    const { port } = await start(
      [pool(app!)],
      [
        {
          name: 'api',
          match: { path: { type: 'prefix', value: '/api' } },
          action: toPool('app'),
          rewrite: { type: 'strip_prefix' },
          headers: {
            request: [
              { op: 'set', name: 'X-Env', value: 'prod' },
              { op: 'remove', name: 'X-Secret' },
              { op: 'set', name: 'X-Forwarded-Proto', value: '$scheme' },
              { op: 'add', name: 'X-Trace', value: '$request_id@$host' },
            ],
            response: [
              { op: 'remove', name: 'X-Powered-By' },
              { op: 'set', name: 'X-Served-By', value: 'fulcrum $$1' },
            ],
          },
        },
        { name: 'v1', match: { path: { type: 'prefix', value: '/v1/' } }, action: toPool('app'), rewrite: { type: 'replace', value: '/v2/' } },
        { name: 'rest', action: toPool('app') },
      ],
    );
    const r = await get(port, '/api/users?x=1', { host: 'Shop.Example.com', 'x-secret': 'hunter2', 'x-request-id': 'req-7' });
    const seen = JSON.parse(r.body) as { url: string; headers: Record<string, string> };
    expect(seen.url).toBe('/users?x=1');
    expect(seen.headers['x-env']).toBe('prod');
    expect(seen.headers['x-secret']).toBeUndefined();
    expect(seen.headers['x-real-ip']).toBe('127.0.0.1'); // set by default
    expect(seen.headers['x-trace']).toBe('req-7@shop.example.com');
    expect(seen.headers.host).toBe('Shop.Example.com');
    expect(r.headers.get('x-powered-by')).toBeUndefined();
    expect(r.headers.get('x-served-by')).toBe('fulcrum $1');
    expect((JSON.parse((await get(port, '/v1/items/3')).body) as { url: string }).url).toBe('/v2/items/3');
    expect((JSON.parse((await get(port, '/api')).body) as { url: string }).url).toBe('/');
    // A route without rules passes the target and the backend's headers as they are.
    const plain = await get(port, '/other?q=%20');
    expect((JSON.parse(plain.body) as { url: string }).url).toBe('/other?q=%20');
    expect(plain.headers.get('x-powered-by')).toBe('backend');
  });

  // Heads are written as latin1: a character beyond U+00FF would lose its high byte, and U+010D
  // U+010A would go out as CR LF, ending the line and starting one of the config's choosing.
  it('sends configured header values and locations as UTF-8 bytes, never as a line break', async () => {
    const [app] = await backends('app');
    const note = 'caf\u00e9 \u010d\u010aX-Injected: 1';
    const { port } = await start(
      [pool(app!)],
      [
        { name: 'moved', match: { path: { type: 'prefix', value: '/moved' } }, action: { type: 'redirect', status: 302, location: '/to\u010d\u010aSet-Cookie: a=1' } },
        { name: 'fixed', match: { path: { type: 'exact', value: '/fixed' } }, action: { type: 'fixed', status: 200, contentType: 'text/plain; x=\u010d\u010aSet-Cookie: b=1', body: 'ok' } },
        { name: 'app', action: toPool('app'), headers: { request: [{ op: 'set', name: 'X-Note', value: note }], response: [{ op: 'set', name: 'X-Note', value: note }] } },
      ],
    );
    const utf8 = (latin1: string | undefined) => Buffer.from(latin1 ?? '', 'latin1').toString('utf8');
    const r = await get(port, '/a');
    expect(r.status).toBe(200);
    expect(r.headers.get('x-injected')).toBeUndefined();
    expect(utf8(r.headers.get('x-note'))).toBe(note);
    const seen = JSON.parse(r.body) as { headers: Record<string, string> };
    expect(seen.headers['x-injected']).toBeUndefined();
    expect(utf8(seen.headers['x-note'])).toBe(note);
    const moved = await raw(port, 'GET /moved HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(moved.status).toBe(302);
    expect(moved.headers['set-cookie']).toBeUndefined();
    expect(utf8(moved.headers.location)).toBe('/to\u010d\u010aSet-Cookie: a=1');
    const fixed = await raw(port, 'GET /fixed HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(fixed.body).toBe('ok');
    expect(fixed.headers['set-cookie']).toBeUndefined();
    expect(utf8(fixed.headers['content-type'])).toBe('text/plain; x=\u010d\u010aSet-Cookie: b=1');
  });

  it('matches a header condition holding non-ASCII text against the UTF-8 bytes a client sends', async () => {
    const { port } = await start(
      [],
      [
        { name: 'tea', match: { headers: [{ name: 'X-Drink', value: '\u010daj' }] }, action: { type: 'fixed', status: 200, body: 'tea' } },
        { name: 'cafe', match: { headers: [{ name: 'X-Drink', value: 'caf\u00e9' }] }, action: { type: 'fixed', status: 200, body: 'cafe' } },
        { name: 'other', action: { type: 'fixed', status: 200, body: 'other' } },
      ],
    );
    // raw() writes its text as UTF-8: the header's value goes out as the bytes a client sends.
    const drink = async (value: string) => (await raw(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Drink: ${value}\r\nConnection: close\r\n\r\n`)).body;
    expect(await drink('\u010daj')).toBe('tea');
    expect(await drink('caf\u00e9')).toBe('cafe');
    expect(await drink('caj')).toBe('other');
    expect(await drink('cafe')).toBe('other');
    // Bytes that are no UTF-8 (a lone 0xC4) are not read as the configured text.
    const lone = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let data = '';
      socket.on('data', (c) => (data += c.toString('latin1')));
      socket.on('error', reject);
      socket.on('close', () => resolve(data.slice(data.indexOf('\r\n\r\n') + 4)));
      socket.write(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nX-Drink: \xc4aj\r\nConnection: close\r\n\r\n', 'latin1'));
    });
    expect(lone).toBe('other');
  });

  it('rate limits per client with 429 and Retry-After, counted in the pool’s client stats', async () => {
    const [app] = await backends('app');
    const { dp, port } = await start([pool(app!)], [{ name: 'limited', action: toPool('app'), rateLimit: { requestsPerSecond: 0.01, burst: 2 } }]);
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push(await get(port, '/'));
    expect(statuses.map((s) => s.status)).toEqual([200, 200, 429]);
    const retryAfter = Number(statuses[2]!.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(100);
    expect(app!.hits).toBe(2);
    const client = dp.metricsView().pools.find((p) => p.poolId === 'app')!.client;
    expect(client.proxyResponses.rate_limited).toBe(1);
    expect(client.responses['4xx']).toBe(1);
  });

  it('keys a rate limit on a header', async () => {
    const [app] = await backends('app');
    const { port } = await start([pool(app!)], [{ name: 'limited', action: toPool('app'), rateLimit: { requestsPerSecond: 0.01, burst: 1, key: { source: 'header', name: 'X-Api-Key' } } }]);
    expect((await get(port, '/', { 'x-api-key': 'a' })).status).toBe(200);
    expect((await get(port, '/', { 'x-api-key': 'a' })).status).toBe(429);
    expect((await get(port, '/', { 'x-api-key': 'b' })).status).toBe(200);
  });

  it('a route’s timeouts override the pool’s', async () => {
    const held = await startHeldBackend('slow');
    cleanup.push(() => (held.release(), held.close()));
    const { port } = await start(
      [pool(held)],
      [
        { name: 'impatient', match: { path: { type: 'prefix', value: '/fast' } }, action: toPool('slow'), timeouts: { firstByteMs: 100 } },
        { name: 'rest', action: toPool('slow') },
      ],
    );
    const r = await get(port, '/fast');
    expect(r.status).toBe(504);
  });

  it('routes hostile Host headers safely: absent, with a port, upper case, trailing dot, very long', async () => {
    const [api, rest] = await backends('api', 'rest');
    const { port } = await start(
      [pool(api!), pool(rest!)],
      [
        { name: 'api', match: { hosts: ['api.example.com'] }, action: toPool('api') },
        { name: 'rest', action: toPool('rest') },
      ],
    );
    const via = async (hostLine: string, version = '1.1') => {
      const r = await raw(port, `GET / HTTP/${version}\r\n${hostLine}Connection: close\r\n\r\n`);
      return r.status === 200 ? (r.headers['x-backend'] ?? '?') : r.status;
    };
    expect(await via('Host: api.example.com\r\n')).toBe('api');
    expect(await via('Host: api.example.com:8080\r\n')).toBe('api');
    expect(await via('Host: API.EXAMPLE.COM\r\n')).toBe('api');
    expect(await via('Host: api.example.com.\r\n')).toBe('api');
    expect(await via('', '1.0')).toBe('rest');
    // Never the exact-host route: the catch-all, or a refusal by the request parser.
    for (const hostile of [`${'a'.repeat(4000)}.api.example.com`, 'api.example.com:99999999', 'api.example.com/../', 'api.example.com:80:80', '[::1']) {
      expect(['rest', 400], hostile.slice(0, 40)).toContain(await via(`Host: ${hostile}\r\n`));
    }
    // Spelling the path differently does not walk around a route.
    const guarded = await start(
      [pool(api!)],
      [
        { name: 'admin', match: { path: { type: 'prefix', value: '/admin' } }, action: { type: 'fixed', status: 403, body: 'no' } },
        { name: 'rest', action: toPool('api') },
      ],
    );
    for (const path of ['/admin', '/%61dmin', '//admin', '/x/../admin', '/./admin']) {
      expect((await raw(guarded.port, `GET ${path} HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n`)).status, path).toBe(403);
    }
  });
});

describe('snapshots the data plane refuses', () => {
  it('refuses an unknown schema and a malformed schema 2 snapshot with the reason, and keeps serving', async () => {
    const [app] = await backends('app');
    const { dp, port } = await start([pool(app!)], [{ name: 'rest', action: toPool('app') }]);
    const newer = await dp.applySnapshot({ schema: 3, version: 99, hash: 'x', pools: [], listeners: [] });
    expect(newer).toMatchObject({ ok: false, error: expect.stringMatching(/schema: snapshot schema 3 is not one this data plane understands/) });
    const dangling = await dp.applySnapshot(snapshot(port, [pool(app!)], [{ name: 'rest', action: toPool('ghost') }]));
    expect(dangling).toMatchObject({ ok: false, error: expect.stringMatching(/listeners\.0\.routes\.0\.action\.poolId: route rest sends to pool ghost/) });
    expect((await get(port, '/')).headers.get('x-backend')).toBe('app');
  });
});
