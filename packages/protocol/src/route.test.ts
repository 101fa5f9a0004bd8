import { describe, expect, it } from 'vitest';
import { ZConfigSnapshot, ZConfigSnapshotV1, ZListenerConfig, ZRouteConfig, ZSnapshotListener, flattenZodIssues, routeRegexProblem } from './index';

const fields = (r: { success: boolean; error?: { issues: Parameters<typeof flattenZodIssues>[0] } }) => flattenZodIssues(r.error!.issues);

describe('ZRouteConfig', () => {
  it('fills a catch-all match and empty header rules', () => {
    const r = ZRouteConfig.parse({ name: 'all', action: { type: 'pool', poolId: 'p' } });
    expect(r.match).toEqual({ hosts: [], path: { type: 'prefix', value: '/' }, methods: [], headers: [], query: [] });
    expect(r.headers).toEqual({ request: [], response: [] });
  });

  it('lower-cases hosts and drops a trailing dot', () => {
    const r = ZRouteConfig.parse({ name: 'a', match: { hosts: ['API.Example.COM.', '*.Example.com'] }, action: { type: 'fixed', status: 204 } });
    expect(r.match.hosts).toEqual(['api.example.com', '*.example.com']);
  });

  it.each([
    [{ match: { hosts: ['*'] } }, 'match.hosts.0'],
    [{ match: { hosts: ['*.com'] } }, 'match.hosts.0'],
    [{ match: { hosts: ['a.*.com'] } }, 'match.hosts.0'],
    [{ match: { hosts: ['bad host'] } }, 'match.hosts.0'],
    [{ match: { path: { type: 'glob', value: '/' } } }, 'match.path.type'],
    [{ match: { path: { type: 'prefix', value: 'api' } } }, 'match.path.value'],
    [{ match: { path: { type: 'regex', value: '(a' } } }, 'match.path.value'],
    [{ match: { path: { type: 'regex', value: '^/(a)\\1$' } } }, 'match.path.value'],
    [{ match: { path: { type: 'regex', value: '^/(?=admin)' } } }, 'match.path.value'],
    [{ match: { path: { type: 'regex', value: 'a'.repeat(257) } } }, 'match.path.value'],
    [{ match: { headers: [{ name: 'x y' }] } }, 'match.headers.0.name'],
    [{ match: { headers: [{ name: 'x', value: 'a\r\nb' }] } }, 'match.headers.0.value'],
    [{ headers: { request: [{ op: 'set', name: 'X-A', value: '$cilent_ip' }] } }, 'headers.request.0.value'],
    [{ headers: { request: [{ op: 'set', name: 'Content-Length', value: '1' }] } }, 'headers.request.0.name'],
    [{ headers: { response: [{ op: 'set', name: 'Transfer-Encoding', value: 'chunked' }] } }, 'headers.response.0.name'],
    [{ headers: { request: [{ op: 'set', name: 'X-A' }] } }, 'headers.request.0.value'],
    [{ headers: { request: [{ op: 'set', name: 'X-A', value: 'a\nb' }] } }, 'headers.request.0.value'],
    [{ rateLimit: { requestsPerSecond: 0, burst: 1 } }, 'rateLimit.requestsPerSecond'],
    [{ rateLimit: { requestsPerSecond: 1, burst: 1, key: { source: 'header' } } }, 'rateLimit.key.name'],
    [{ match: { path: { type: 'exact', value: '/x' } }, rewrite: { type: 'strip_prefix' } }, 'rewrite'],
    [{ action: { type: 'redirect', status: 303, location: '/' } }, 'action.status'],
    [{ action: { type: 'redirect', location: 'https://$hots/' } }, 'action.location'],
    [{ action: { type: 'redirect', location: '/' }, rewrite: { type: 'strip_prefix' } }, 'rewrite'],
    [{ action: { type: 'fixed', status: 99 } }, 'action.status'],
    [{ action: { type: 'teleport' } }, 'action.type'],
  ])('%j is refused on %s', (input, field) => {
    const r = ZRouteConfig.safeParse({ name: 'r', action: { type: 'pool', poolId: 'p' }, ...input });
    expect(r.success).toBe(false);
    expect(Object.keys(fields(r))).toContain(field);
  });

  it('accepts variables, $$ and a linear-time regex', () => {
    expect(
      ZRouteConfig.safeParse({
        name: 'r',
        match: { path: { type: 'regex', value: '^/v[0-9]+/(users|teams)/[^/]+$' } },
        action: { type: 'redirect', status: 308, location: 'https://$host$request_uri' },
        headers: { response: [{ op: 'add', name: 'X-Cost', value: '$$5 for $client_ip' }] },
      }).success,
    ).toBe(true);
    expect(routeRegexProblem('^/(a+)+$')).toBeUndefined(); // exponential for a backtracking engine, linear for the data plane's
  });
});

describe('listeners', () => {
  it('an https listener needs a certificate; tls belongs to https only; HTTP/2 may be offered', () => {
    expect(ZListenerConfig.safeParse({ name: 'edge', port: 443, protocol: 'https', tls: { certificateIds: ['c'] } }).success).toBe(true);
    expect(fields(ZListenerConfig.safeParse({ name: 'edge', port: 443, protocol: 'https' }))['tls.certificateIds']?.[0]).toMatch(/at least one certificate/);
    expect(fields(ZListenerConfig.safeParse({ name: 'edge', port: 443, protocol: 'https', tls: { certificateIds: ['c', 'c'] } }))['tls.certificateIds']?.[0]).toMatch(/named twice/);
    expect(fields(ZListenerConfig.safeParse({ name: 'edge', port: 80, protocol: 'http', tls: { certificateIds: ['c'] } })).tls?.[0]).toMatch(/https listeners only/);
    expect(ZListenerConfig.parse({ name: 'edge', port: 443, protocol: 'https', tls: { certificateIds: ['c'], http2: true } }).tls?.http2).toBe(true);
    expect(fields(ZListenerConfig.safeParse({ name: 'edge', port: 443, protocol: 'https', tls: { certificateIds: ['c'], minVersion: 'TLSv1.1' } }))['tls.minVersion']?.[0]).toMatch(
      /TLSv1.2 or TLSv1.3/,
    );
  });

  it('a tcp listener has exactly one catch-all route to a pool', () => {
    const route = (extra: object) => ({ id: 'r', name: 'r', action: { type: 'pool', poolId: 'p' }, ...extra });
    expect(ZSnapshotListener.safeParse({ id: 'l', name: 'db', port: 5432, protocol: 'tcp', routes: [route({})] }).success).toBe(true);
    expect(fields(ZSnapshotListener.safeParse({ id: 'l', name: 'db', port: 5432, protocol: 'tcp', routes: [] })).routes?.[0]).toMatch(/exactly one route/);
    expect(fields(ZSnapshotListener.safeParse({ id: 'l', name: 'db', port: 5432, protocol: 'tcp', routes: [route({ match: { hosts: ['a.example.com'] } })] }))['routes.0']?.[0]).toMatch(
      /cannot match on or change HTTP/,
    );
  });
});

describe('snapshot schema 2', () => {
  const v1 = { version: 3, hash: 'h', pools: [{ id: 'p1', name: 'web', listenHost: '127.0.0.1', listenPort: 8080, backends: [{ id: 'b', host: '127.0.0.1', port: 9000 }] }] };

  it('upgrades a schema 1 snapshot: each pool becomes a listener on its port with one catch-all route to it', () => {
    const snap = ZConfigSnapshot.parse(v1);
    expect(snap.schema).toBe(2);
    expect(snap.listeners).toHaveLength(1);
    expect(snap.listeners[0]).toMatchObject({
      id: 'p1',
      name: 'web',
      address: '127.0.0.1',
      port: 8080,
      protocol: 'http',
      routes: [{ id: 'p1', action: { type: 'pool', poolId: 'p1' }, match: { hosts: [], path: { type: 'prefix', value: '/' } } }],
    });
    expect(snap.pools[0]).not.toHaveProperty('listenPort');
    // An upgraded snapshot reads back the same (stored revisions are parsed again).
    expect(ZConfigSnapshot.parse(snap)).toEqual(snap);
  });

  it('a data plane that reads only schema 1 refuses a schema 2 snapshot (and keeps its config)', () => {
    expect(ZConfigSnapshotV1.safeParse(ZConfigSnapshot.parse(v1)).success).toBe(false);
  });

  it('refuses an unknown schema with the reason', () => {
    const r = ZConfigSnapshot.safeParse({ schema: 3, version: 1, hash: 'h', pools: [], listeners: [] });
    expect(fields(r).schema?.[0]).toMatch(/snapshot schema 3 is not one this data plane understands/);
  });

  it('refuses malformed schema 2 snapshots naming the field', () => {
    const snap = ZConfigSnapshot.parse(v1);
    const route = snap.listeners[0]!.routes[0]!;
    const broken = {
      ...snap,
      listeners: [
        snap.listeners[0],
        { ...snap.listeners[0], id: 'l2', routes: [{ ...route, id: 'r2', action: { type: 'pool', poolId: 'ghost' } }] },
        { ...snap.listeners[0], id: 'l3', name: 'other', port: 8081, routes: [route] },
      ],
    };
    const f = fields(ZConfigSnapshot.safeParse(broken));
    expect(f['listeners.1.name']?.[0]).toMatch(/appears twice/);
    expect(f['listeners.1.port']?.[0]).toMatch(/already used by listener web/);
    expect(f['listeners.1.routes.0.action.poolId']?.[0]).toMatch(/pool ghost, which is not in the snapshot/);
    expect(f['listeners.2.routes.0.id']?.[0]).toMatch(/route id p1 appears twice/);
    // A schema 1 snapshot's own errors are named on its fields.
    expect(Object.keys(fields(ZConfigSnapshot.safeParse({ ...v1, pools: [{ ...v1.pools[0], listenPort: 0 }] })))).toContain('pools.0.listenPort');
  });
});
