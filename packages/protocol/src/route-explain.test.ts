import { describe, expect, it } from 'vitest';
import { ZSnapshotRoute, type TSnapshotRoute } from './route';
import { explainRoute } from './route-explain';
import { RouteTable, normalizeHost, splitTarget } from './route-table';

const compile = (s: string) => new RegExp(s);
const route = (r: Record<string, unknown>, i: number): TSnapshotRoute => ZSnapshotRoute.parse({ id: `r${i}`, action: { type: 'pool', poolId: 'p' }, ...r });

const routes = [
  { name: 'api', match: { hosts: ['api.example.com'] } },
  { name: 'wild', match: { hosts: ['*.example.com', 'example.org'], path: { type: 'prefix', value: '/app' } } },
  { name: 'deep', match: { hosts: ['*.eu.example.com'] } },
  { name: 'exact', match: { path: { type: 'exact', value: '/health' }, methods: ['GET', 'head'] } },
  { name: 're', match: { path: { type: 'regex', value: '^/v[0-9]+/' } } },
  { name: 'hdr', priority: 5, match: { headers: [{ name: 'X-Canary', value: '1' }], query: [{ name: 'debug' }] } },
  { name: 'rest', priority: -1 },
].map(route);

const requests: [string, string | undefined, string, Record<string, string>][] = [
  ['/', 'api.example.com', 'GET', {}],
  ['/app/x', 'www.example.com', 'GET', {}],
  ['/app/x', 'a.eu.example.com', 'POST', {}],
  ['/other', 'a.eu.example.com', 'GET', {}],
  ['/health', undefined, 'HEAD', {}],
  ['/health', 'x.test', 'POST', {}],
  ['/v2/users', 'x.test', 'GET', {}],
  ['/app?debug', 'example.org', 'GET', { 'x-canary': '1' }],
  ['/app?debug=0', 'example.org', 'GET', { 'x-canary': '2' }],
  ['/%61pp/./y', 'EXAMPLE.org.', 'GET', {}],
];

describe('explainRoute', () => {
  it('agrees with RouteTable.match: the first place it explains as matched is the route the table picks', () => {
    const table = new RouteTable(routes, compile);
    for (const [url, rawHost, method, headers] of requests) {
      const { path, query } = splitTarget(url);
      const req = { host: normalizeHost(rawHost), path, query, method, header: (n: string) => headers[n] };
      const picked = table.match(req)?.route.name;
      const first = table.ordered.find((e) => explainRoute(e.route, e.exactHost ?? (e.suffix === undefined ? null : `*.${e.suffix}`), req, compile).matched);
      expect(first?.route.name, `${rawHost} ${method} ${url}`).toBe(picked);
    }
  });

  it('says why a place does not take a request', () => {
    const req = { host: 'www.example.com', path: '/x', query: '', method: 'GET', header: () => undefined };
    expect(explainRoute(routes[0]!, 'api.example.com', req, compile)).toEqual({ matched: false, reasons: ['host www.example.com is not api.example.com'] });
    expect(explainRoute(routes[1]!, '*.example.com', req, compile)).toEqual({ matched: false, reasons: ['host www.example.com is under *.example.com', 'path /x does not start with /app'] });
    expect(explainRoute(routes[5]!, null, req, compile).reasons.at(-1)).toBe('header x-canary is absent');
  });
});
