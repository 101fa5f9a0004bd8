import { describe, expect, it } from 'vitest';
import { type RouteRequest, RouteTable, ZSnapshotRoute, normalizeHost, normalizePath, splitTarget } from './index';

const route = (name: string, match: object, priority = 0) => ZSnapshotRoute.parse({ id: name, name, priority, match, action: { type: 'fixed', status: 200, body: name } });
const compile = (s: string) => new RegExp(s);
const request = (url: string, host?: string, method = 'GET', headers: Record<string, string> = {}): RouteRequest => {
  const { path, query } = splitTarget(url);
  return { host: normalizeHost(host), path, query, method, header: (n) => headers[n] };
};

describe('route order', () => {
  const table = new RouteTable(
    [
      route('any', {}),
      route('prefix-api', { path: { type: 'prefix', value: '/api' } }),
      route('prefix-api-v1', { path: { type: 'prefix', value: '/api/v1' } }),
      route('exact-api', { path: { type: 'exact', value: '/api' } }),
      route('regex-php', { path: { type: 'regex', value: '\\.php$' } }),
      route('wild', { hosts: ['*.example.com'] }),
      route('wild-deeper', { hosts: ['*.eu.example.com'] }),
      route('exact-host', { hosts: ['shop.example.com'] }),
      route('post-only', { path: { type: 'prefix', value: '/api' }, methods: ['POST'] }),
      route('urgent', { path: { type: 'prefix', value: '/status' } }, 10),
    ],
    compile,
  );
  const pick = (url: string, host?: string, method?: string) => table.match(request(url, host, method))?.route.name;

  it('explicit priority first', () => expect(pick('/status', 'shop.example.com')).toBe('urgent'));
  it('exact host > wildcard > any', () => {
    expect(pick('/', 'shop.example.com')).toBe('exact-host');
    expect(pick('/', 'blog.example.com')).toBe('wild');
    expect(pick('/', 'a.b.example.com')).toBe('wild');
    expect(pick('/', 'x.eu.example.com')).toBe('wild-deeper');
    expect(pick('/', 'example.com')).toBe('any');
    expect(pick('/', 'other.org')).toBe('any');
  });
  it('exact path > longer prefix > shorter prefix; regex after prefixes', () => {
    expect(pick('/api')).toBe('exact-api');
    expect(pick('/api/v1/users')).toBe('prefix-api-v1');
    expect(pick('/api/v2')).toBe('prefix-api');
    expect(pick('/index.php')).toBe('regex-php');
    expect(pick('/api/index.php')).toBe('prefix-api');
  });
  it('more conditions first at equal path', () => expect(pick('/api/x', undefined, 'POST')).toBe('post-only'));
  it('lists routes in match order', () => {
    expect(table.ordered.map((e) => e.route.name)).toEqual(['urgent', 'exact-host', 'wild-deeper', 'wild', 'exact-api', 'prefix-api-v1', 'post-only', 'prefix-api', 'regex-php', 'any']);
  });
  it('matches headers and query', () => {
    const t = new RouteTable([route('canary', { headers: [{ name: 'x-canary', value: '1' }] }), route('beta', { query: [{ name: 'beta' }] }), route('rest', {})], compile);
    expect(t.match(request('/', undefined, 'GET', { 'x-canary': '1' }))?.route.name).toBe('canary');
    expect(t.match(request('/?a=1&beta', undefined))?.route.name).toBe('beta');
    expect(t.match(request('/?a=%zz&beta=%E2%9C%93', undefined))?.route.name).toBe('beta');
    expect(t.match(request('/?betax=1'))?.route.name).toBe('rest');
  });
});

describe('hostile input', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['Shop.Example.COM', 'shop.example.com'],
    ['shop.example.com.', 'shop.example.com'],
    ['shop.example.com:8080', 'shop.example.com'],
    ['shop.example.com:', undefined],
    ['shop.example.com:80:80', undefined],
    ['shop.example.com:abc', undefined],
    ['a'.repeat(300), undefined],
    [`${'a.'.repeat(126)}com`, undefined],
    ['shop..example.com', undefined],
    ['shop.example.com/evil', undefined],
    ['[::1]:8080', '[::1]'],
    ['[::1', undefined],
    ['exa mple.com', undefined],
    ['.', undefined],
  ])('Host %j is %j', (raw, normalized) => expect(normalizeHost(raw)).toBe(normalized));

  it.each([
    ['/admin', '/admin'],
    ['/%61dmin', '/admin'],
    ['/%2e%2e/admin', '/admin'],
    ['//admin', '/admin'],
    ['/public/../admin', '/admin'],
    ['/./admin/', '/admin/'],
    ['/../../..', '/'],
    ['/a/%2Fb', '/a/%2Fb'],
    ['/a/.', '/a/'],
  ])('path %j routes as %j', (raw, normalized) => expect(normalizePath(raw)).toBe(normalized));

  it('an absolute-form target routes on its path', () => expect(splitTarget('http://evil.example/admin?x=1')).toEqual({ path: '/admin', query: 'x=1' }));

  it('a regex route ignores paths past the bound instead of working on them', () => {
    const t = new RouteTable([route('re', { path: { type: 'regex', value: 'x$' } })], compile);
    expect(t.match(request(`/${'a'.repeat(100)}x`))?.route.name).toBe('re');
    expect(t.match(request(`/${'a'.repeat(5000)}x`))).toBeUndefined();
  });
});

/** Seeded PRNG (mulberry32), so a failing case can be replayed. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('fuzz: the indexed table picks what a plain scan in match order picks', () => {
  const labels = ['a', 'b', 'example', 'com', 'eu', 'x'];
  const segs = ['', 'api', 'v1', 'admin', '..', '.', '%61', 'index.php', 'A'];
  /** `prefixShare`: how many routes are plain prefixes (runs of them are looked up by map). */
  /** Returns how many of its route sets had a route that takes every request (`takesEvery`). */
  const fuzz = (seed: number, maxRoutes: number, prefixShare: number): number => {
    const rand = prng(seed);
    let takingEvery = 0;
    const pickOf = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const name = (n: number) => Array.from({ length: n }, () => pickOf(labels)).join('.');
    for (let round = 0; round < 120; round++) {
      const routes = Array.from({ length: 1 + Math.floor(rand() * maxRoutes) }, (_, i) => {
        const hosts = Array.from({ length: Math.floor(rand() * 3) }, () => (rand() < 0.4 ? `*.${name(2)}` : name(1 + Math.floor(rand() * 3))));
        const type = rand() < prefixShare ? 'prefix' : pickOf(['prefix', 'exact', 'regex'] as const);
        const value = type === 'regex' ? pickOf(['^/api', 'php$', '[0-9]', '^/$']) : `/${Array.from({ length: Math.floor(rand() * 3) }, () => pickOf(['api', 'v1', 'admin', 'ap', 'x'])).join('/')}`;
        return route(`r${i}`, { hosts, path: { type, value }, methods: rand() < 0.2 ? ['POST'] : [] }, rand() < 0.2 ? 5 : 0);
      });
      const table = new RouteTable(routes, compile);
      if (table.takesEvery) takingEvery++;
      for (let q = 0; q < 50; q++) {
        const rawHost = rand() < 0.1 ? undefined : `${name(1 + Math.floor(rand() * 4))}${rand() < 0.1 ? '.' : ''}${rand() < 0.1 ? ':81' : ''}`;
        const url = `/${Array.from({ length: Math.floor(rand() * 4) }, () => pickOf(segs)).join('/')}`;
        const req = request(url, rawHost, rand() < 0.3 ? 'POST' : 'GET');
        const hostMatches = (pattern: string | undefined) =>
          pattern === undefined || (req.host !== undefined && (pattern.startsWith('*.') ? req.host.endsWith(pattern.slice(1)) : req.host === pattern));
        const expected = table.ordered.find((e) => hostMatches(e.exactHost ?? (e.suffix ? `*.${e.suffix}` : undefined)) && e.test(req));
        expect(table.match(req)?.route.name, `${rawHost} ${url} in ${JSON.stringify(routes.map((r) => r.match))}`).toBe(expected?.route.name);
        // The data plane skips matching for such a table: it must be what matching gives, for every request.
        if (table.takesEvery) expect(expected?.route).toBe(table.takesEvery);
      }
    }
    return takingEvery;
  };
  it('over random route sets and requests', () => fuzz(16, 12, 0), 120_000); // CPU-bound: the bound only stops a hang on a busy machine
  it('over large route sets of mostly path prefixes (looked up as runs)', () => fuzz(17, 40, 0.8), 120_000);
  it('over small route sets, where one often takes every request', () => expect(fuzz(18, 3, 0.8)).toBeGreaterThan(0), 120_000);
});
