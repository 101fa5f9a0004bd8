import { ZConfigSnapshot } from '@fulcrum/protocol';
import { describe, expect, it } from 'vitest';
import { useTestApi, startRestServer, trpcFailure as failure } from '../test-support';

const api = useTestApi();

async function latestSnapshot() {
  const row = await api.db.prisma.configRevision.findFirstOrThrow({ orderBy: { version: 'desc' } });
  return { message: row.message, version: row.version, snapshot: ZConfigSnapshot.parse(row.snapshot) };
}

describe('listeners and routes', () => {
  it('routes two hosts of one port to two pools, in match order, and says which route a URL takes and why', async () => {
    const op = await api.as('operator');
    const apiPool = await op.pools.create({ name: 'api' });
    const site = await op.pools.create({ name: 'site' });
    expect(apiPool.listenPort).toBeUndefined();
    const edge = await op.listeners.create({ name: 'edge', port: 18200 });
    expect((await latestSnapshot()).message).toBe('create listener edge on port 18200');
    await op.routes.create({ listener: 'edge', name: 'site', match: { hosts: ['*.Example.com'] }, action: { type: 'pool', poolId: 'site' } });
    await op.routes.create({ listener: 'edge', name: 'api', match: { hosts: ['api.example.com'] }, action: { type: 'pool', poolId: apiPool.id } });
    await op.routes.create({ listener: edge.id, name: 'rest', action: { type: 'fixed', status: 404, body: 'nothing here' } });
    const { message, snapshot } = await latestSnapshot();
    expect(message).toBe('add route rest to listener edge');
    const compiled = snapshot.listeners.find((l) => l.name === 'edge')!;
    expect(compiled.port).toBe(18200);
    expect(compiled.routes.find((r) => r.name === 'site')).toMatchObject({ match: { hosts: ['*.example.com'] }, action: { type: 'pool', poolId: site.id } });

    const viewer = await api.as('viewer');
    const got = await viewer.listeners.get({ id: 'edge' });
    expect(got.routes.map((r) => r.name)).toEqual(['api', 'site', 'rest']);
    expect(got.order.map((o) => [o.route, o.host])).toEqual([
      ['api', 'api.example.com'],
      ['site', '*.example.com'],
      ['rest', null],
    ]);
    expect((await viewer.listeners.list()).find((l) => l.name === 'edge')).toMatchObject({ port: 18200, routeCount: 3, poolId: null });

    const toApi = await viewer.listeners.whichRoute({ listener: 'edge', url: 'http://API.example.com:18200/v1/users?x=1' });
    expect(toApi.route?.name).toBe('api');
    expect(toApi.request).toEqual({ host: 'api.example.com', path: '/v1/users', query: 'x=1', method: 'GET' });
    expect(toApi.checks).toEqual([expect.objectContaining({ route: 'api', matched: true, reasons: ['host is api.example.com', 'any path'] })]);
    const toSite = await viewer.listeners.whichRoute({ listener: 'edge', url: '/', headers: { Host: 'www.example.com' } });
    expect(toSite.route?.name).toBe('site');
    expect(toSite.checks.map((c) => [c.route, c.matched, c.reasons.at(-1)])).toEqual([
      ['api', false, 'host www.example.com is not api.example.com'],
      ['site', true, 'any path'],
    ]);
    expect((await viewer.listeners.whichRoute({ listener: 'edge', url: 'http://example.org/' })).route?.name).toBe('rest');

    // Priority beats specificity: the catch-all answer first, in one revision.
    await op.routes.reorder({ listener: 'edge', priorities: [{ id: 'rest', priority: 10 }] });
    expect((await viewer.listeners.whichRoute({ listener: 'edge', url: 'http://api.example.com/' })).route?.name).toBe('rest');
    expect((await latestSnapshot()).message).toBe('reorder routes on listener edge: rest=10');
    const rest = (await viewer.listeners.get({ id: 'edge' })).routes.find((r) => r.name === 'rest')!;
    await op.routes.update({ listener: 'edge', id: 'rest', expectedVersion: rest.version, patch: { priority: 0, action: { type: 'redirect', status: 308, location: 'https://$host$request_uri' } } });
    expect((await viewer.listeners.whichRoute({ listener: 'edge', url: 'http://example.org/' })).route?.action).toEqual({ type: 'redirect', status: 308, location: 'https://$host$request_uri' });
    expect((await latestSnapshot()).message).toBe('update route rest on listener edge: priority, action');

    // Viewers read; only operators write.
    expect((await failure(viewer.listeners.create({ name: 'nope', port: 18299 }))).code).toBe('FORBIDDEN');
    expect((await failure(viewer.routes.create({ listener: 'edge', name: 'x', action: { type: 'pool', poolId: 'api' } }))).code).toBe('FORBIDDEN');
    expect((await failure(api.anonymous().listeners.list())).code).toBe('UNAUTHORIZED');
  });

  it('refuses bad input naming the field, and writes nothing', async () => {
    const op = await api.as('operator');
    await op.pools.create({ name: 'db', protocol: 'tcp' });
    await op.listeners.create({ name: 'bad-edge', port: 18210 });
    await op.listeners.create({ name: 'pg', port: 18211, protocol: 'tcp', pool: 'db' });
    const before = await api.db.prisma.configRevision.count();
    // Each call starts only when its turn comes (a refused call left waiting would be an unhandled rejection).
    const cases: [() => Promise<unknown>, string, RegExp][] = [
      [() => op.routes.create({ listener: 'bad-edge', name: 'ghost', action: { type: 'pool', poolId: 'no-such-pool' } }), 'action.poolId', /no pool no-such-pool/],
      [() => op.listeners.create({ name: 'twin', port: 18210 }), 'port', /port 18210 is already used by listener bad-edge/],
      [() => op.listeners.create({ name: 'bad-edge', port: 18212 }), 'name', /already exists/],
      [() => op.listeners.create({ name: 'secure', port: 18213, protocol: 'https' }), 'tls.certificateIds', /needs at least one certificate/],
      [() => op.listeners.create({ name: 'plain', port: 18213, protocol: 'http', tls: { certificateIds: [] } }), 'tls', /https listeners only/],
      [() => op.listeners.create({ name: 'odd', port: 18214, protocol: 'smtp' } as never), 'protocol', /http, https or tcp/],
      [() => op.listeners.create({ name: 'pg2', port: 18215, protocol: 'tcp' }), 'pool', /forwards every connection to one pool/],
      [() => op.listeners.create({ name: 'pg3', port: 18216, protocol: 'tcp', pool: 'nope' }), 'pool', /no pool nope/],
      [() => op.routes.create({ listener: 'pg', name: 'by-host', match: { hosts: ['db.example.com'] }, action: { type: 'pool', poolId: 'db' } }), 'match', /tcp/],
      [() => op.routes.create({ listener: 'bad-edge', name: 'bad-host', match: { hosts: ['exa mple.com'] }, action: { type: 'pool', poolId: 'db' } }), 'match.hosts.0', /host must be/],
      [
        () => op.routes.create({ listener: 'bad-edge', name: 'slow', match: { path: { type: 'regex', value: '^/(a)\\1' } }, action: { type: 'pool', poolId: 'db' } }),
        'match.path.value',
        /backreferences/,
      ],
      [() => op.routes.create({ listener: 'bad-edge', name: 'moved', action: { type: 'redirect', location: 'https://$hots/' } }), 'action.location', /unknown variable \$hots/],
      [() => op.routes.create({ listener: 'bad-edge', name: 'Bad Name', action: { type: 'pool', poolId: 'db' } }), 'name', /./],
      [() => op.routes.reorder({ listener: 'bad-edge', priorities: [{ id: 'missing', priority: 1 }] }), '', /no route missing/],
    ];
    for (const [call, field, message] of cases) {
      const f = await failure(call());
      if (field) {
        expect(f.code, field).toBe('BAD_REQUEST');
        expect(Object.keys(f.fields), `${field}: ${JSON.stringify(f.fields)}`).toContain(field);
        expect(f.fields[field]!.join(' '), field).toMatch(message);
      } else expect(f.message).toMatch(message);
    }
    // An https listener serves certificates that exist: a missing one is the operator's mistake, not a 500.
    const noCert = await failure(op.listeners.create({ name: 'secure', port: 18213, protocol: 'https', tls: { certificateIds: ['no-such-cert'] } }));
    expect(noCert.code).toBe('BAD_REQUEST');
    expect(JSON.stringify(noCert)).toMatch(/certificate no-such-cert/);
    // A pool with a port cannot take a port a listener holds, nor the name of a listener.
    expect((await failure(op.pools.create({ name: 'other', listenPort: 18210 }))).fields.listenPort?.[0]).toMatch(/already used by listener bad-edge/);
    expect((await failure(op.pools.create({ name: 'bad-edge', listenPort: 18219 }))).fields.name?.[0]).toMatch(/a listener named bad-edge exists/);
    expect(await api.db.prisma.configRevision.count()).toBe(before);
    // A tcp listener takes one catch-all route to a pool (made with it); a listener with HTTP routes cannot turn tcp.
    expect((await op.listeners.get({ id: 'pg' })).routes).toEqual([expect.objectContaining({ name: 'db', action: { type: 'pool', poolId: (await op.pools.get({ id: 'db' })).id } })]);
    expect((await failure(op.routes.create({ listener: 'pg', name: 'second', action: { type: 'pool', poolId: 'db' } }))).fields.listener?.[0]).toMatch(/exactly one/);
    await op.routes.create({ listener: 'bad-edge', name: 'api', match: { hosts: ['api.example.com'] }, action: { type: 'pool', poolId: 'db' } });
    const be = await op.listeners.get({ id: 'bad-edge' });
    expect((await failure(op.listeners.update({ id: 'bad-edge', expectedVersion: be.version, patch: { protocol: 'tcp' } }))).fields.protocol?.[0]).toMatch(/has HTTP routes/);
    // A pool that a route sends to cannot be deleted from under it.
    const db = await op.pools.get({ id: 'db' });
    expect(await failure(op.pools.delete({ id: 'db', expectedVersion: db.version }))).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(/used by route (db|api) on listener/) });
  });

  it('tests URLs against regex routes in linear time, and bounds what a test may send', async () => {
    const op = await api.as('operator');
    await op.pools.create({ name: 'regex-pool' });
    await op.listeners.create({ name: 'regex-edge', port: 18250 });
    await op.routes.create({ listener: 'regex-edge', name: 'as', match: { path: { type: 'regex', value: '^/(a+)+$' } }, action: { type: 'pool', poolId: 'regex-pool' } });
    // A backtracking engine takes 2^40 steps on this path (it would hang the control plane); the data plane's engine answers at once.
    const hostile = await op.listeners.whichRoute({ listener: 'regex-edge', url: `/${'a'.repeat(40)}!` });
    expect(hostile.route).toBeNull();
    expect(hostile.checks.at(-1)?.reasons.at(-1)).toMatch(/does not match/);
    expect((await op.listeners.whichRoute({ listener: 'regex-edge', url: '/aaaa' })).route?.name).toBe('as');
    const headers = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`x-h${i}`, 'v']));
    expect((await failure(op.listeners.whichRoute({ listener: 'regex-edge', url: '/', headers }))).fields.headers?.[0]).toMatch(/at most 100 headers/);
    expect((await failure(op.listeners.whichRoute({ listener: 'regex-edge', url: 'ftp://x/' }))).fields.url?.[0]).toMatch(/path starting with \//);
    expect((await failure(op.listeners.whichRoute({ listener: 'nope', url: '/' }))).code).toBe('NOT_FOUND');
  });

  it('a pool with a port makes its listener and catch-all route in one revision; they follow the pool and go with it', async () => {
    const op = await api.as('operator');
    const before = await api.db.prisma.configRevision.count();
    const web = await op.pools.create({ name: 'web', listenPort: 18220, http: { maxHeadBytes: 4096 }, timeouts: { idleMs: 5000 } });
    expect(await api.db.prisma.configRevision.count()).toBe(before + 1);
    const { message, snapshot } = await latestSnapshot();
    expect(message).toBe('create pool web with listener web on port 18220');
    expect(snapshot.listeners.find((l) => l.name === 'web')).toMatchObject({
      id: web.id,
      port: 18220,
      address: '0.0.0.0',
      idleMs: 5000,
      http: { maxHeadBytes: 4096 },
      routes: [{ id: web.id, name: 'web', action: { type: 'pool', poolId: web.id } }],
    });
    expect((await op.listeners.get({ id: 'web' })).poolId).toBe(web.id);
    const moved = await op.pools.update({ id: 'web', expectedVersion: web.version, patch: { listenPort: 18221 } });
    expect(moved.listenPort).toBe(18221);
    expect((await op.listeners.get({ id: 'web' })).port).toBe(18221);
    await op.pools.delete({ id: 'web', expectedVersion: moved.version });
    expect(await api.db.prisma.listener.count({ where: { name: 'web' } })).toBe(0);
  });

  it('rollback restores listeners and routes with their ids; the diff names them', async () => {
    const op = await api.as('operator');
    await op.pools.create({ name: 'blue' });
    const l = await op.listeners.create({ name: 'rb', port: 18230 });
    const route = await op.routes.create({ listener: 'rb', name: 'blue', match: { path: { type: 'prefix', value: '/blue' } }, action: { type: 'pool', poolId: 'blue' } });
    const { version } = await latestSnapshot();
    await op.routes.delete({ listener: 'rb', id: 'blue', expectedVersion: route.version });
    await op.listeners.update({ id: 'rb', expectedVersion: l.version, patch: { port: 18231 } });
    const diff = await op.revisions.diff({ from: version, to: (await latestSnapshot()).version });
    expect(diff.changes.map((c) => c.path)).toEqual(expect.arrayContaining(['listeners.rb.port', 'listeners.rb.routes.blue']));
    await op.revisions.rollback({ version });
    const back = await op.listeners.get({ id: 'rb' });
    expect(back).toMatchObject({ id: l.id, port: 18230 });
    expect(back.routes).toEqual([expect.objectContaining({ id: route.id, name: 'blue', match: expect.objectContaining({ path: { type: 'prefix', value: '/blue' } }) })]);
  });

  it('is served over REST under /api/v1/listeners, and in the OpenAPI document', async () => {
    const rest = await startRestServer(api);
    try {
      const token = await api.token('operator');
      const call = (method: string, path: string, body?: unknown) =>
        fetch(`${rest.base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
      await call('POST', '/pools', { name: 'green' });
      expect((await call('POST', '/listeners', { name: 'rest-edge', port: 18240 })).status).toBe(200);
      const created = await call('POST', '/listeners/rest-edge/routes', { name: 'green', match: { hosts: ['green.example.com'] }, action: { type: 'pool', poolId: 'green' } });
      expect(created.status).toBe(200);
      const listed = (await (await call('GET', '/listeners/rest-edge/routes')).json()) as { routes: { name: string }[] };
      expect(listed.routes.map((r) => r.name)).toEqual(['green']);
      const which = (await (await call('POST', '/listeners/rest-edge/which-route', { url: 'http://green.example.com/' })).json()) as { route: { name: string } | null };
      expect(which.route?.name).toBe('green');
      const bad = await call('POST', '/listeners/rest-edge/routes', { name: 'x', action: { type: 'pool', poolId: 'nope' } });
      expect(bad.status).toBe(400);
      expect(JSON.stringify(await bad.json())).toContain('action.poolId');
      const doc = (await (await call('GET', '/openapi.json')).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(doc.paths)).toEqual(
        expect.arrayContaining([
          '/listeners',
          '/listeners/{id}',
          '/listeners/{listener}/routes',
          '/listeners/{listener}/routes/{id}',
          '/listeners/{listener}/which-route',
          '/listeners/{listener}/priorities',
        ]),
      );
    } finally {
      await rest.close();
    }
  });
});
