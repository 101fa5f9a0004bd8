import { describe, expect, it } from 'vitest';
import { useTestApi, trpcFailure as failure } from '../test-support';

const api = useTestApi();

describe('pools', () => {
  it('creates with defaults, reads by id and by name, lists with backend counts', async () => {
    const op = await api.as('operator');
    const pool = await op.pools.create({ name: 'web', listenPort: 18080 });
    expect(pool).toMatchObject({ name: 'web', protocol: 'http', algorithm: 'round_robin', version: 1 });
    expect(pool.healthCheck.path).toBe('/');
    expect((await op.pools.get({ id: 'web' })).id).toBe(pool.id);
    expect((await op.pools.get({ id: pool.id })).backends).toEqual([]);
    const list = await op.pools.list();
    expect(list.find((p) => p.id === pool.id)?.backendCount).toBe(0);
  });

  it('refuses bad input naming the field, and writes nothing', async () => {
    const op = await api.as('operator');
    const before = await api.db.prisma.configRevision.count();
    const cases: [unknown, string][] = [
      [{ name: 'bad-port', listenPort: 70000 }, 'listenPort'],
      [{ name: 'algo', listenPort: 18081, algorithm: 'fastest' }, 'algorithm'],
      [{ name: 'Bad Name', listenPort: 18082 }, 'name'],
      [{ name: 'hc', listenPort: 18083, healthCheck: { path: 'nope' } }, 'healthCheck.path'],
      [{ name: 'al-rate', listenPort: 18084, accessLog: { sampleRate: 1.5 } }, 'accessLog.sampleRate'],
      [{ name: 'al-rate-text', listenPort: 18085, accessLog: { sampleRate: '0.5' } }, 'accessLog.sampleRate'],
      [{ name: 'al-format', listenPort: 18086, accessLog: { format: 'common-ish' } }, 'accessLog.format'],
    ];
    for (const [input, field] of cases) {
      const f = await failure(op.pools.create(input as never));
      expect(f.code, JSON.stringify(input)).toBe('BAD_REQUEST');
      expect(Object.keys(f.fields), JSON.stringify(input)).toContain(field);
    }
    const dup = await failure(op.pools.create({ name: 'web-2', listenPort: 18080 }));
    expect(dup.code).toBe('BAD_REQUEST');
    expect(dup.fields.listenPort?.[0]).toMatch(/port 18080 is already used by listener web/);
    expect(await api.db.prisma.configRevision.count()).toBe(before);
  });

  it("stores a pool's access-log settings, patches them, and compiles them into the snapshot", async () => {
    const op = await api.as('operator');
    const pool = await op.pools.create({ name: 'logged', listenPort: 18190, accessLog: { sampleRate: 0.25, format: 'combined' } });
    expect(pool.accessLog).toEqual({ enabled: true, sampleRate: 0.25, format: 'combined' });
    const updated = await op.pools.update({ id: pool.id, expectedVersion: pool.version, patch: { accessLog: { enabled: false } } });
    expect(updated.accessLog).toEqual({ enabled: false, sampleRate: 0.25, format: 'combined' });
    expect((await op.pools.create({ name: 'plain-log', listenPort: 18191 })).accessLog).toEqual({ enabled: true, sampleRate: 1, format: 'json' });
    const rev = await api.db.prisma.configRevision.findFirst({ orderBy: { version: 'desc' } });
    const compiled = (rev!.snapshot as { pools: { name: string; accessLog: unknown }[] }).pools.find((p) => p.name === 'logged');
    expect(compiled?.accessLog).toEqual({ enabled: false, sampleRate: 0.25, format: 'combined' });
  });

  it('updates with optimistic concurrency: a stale version gets CONFLICT, not an overwrite', async () => {
    const op = await api.as('operator');
    const pool = await op.pools.create({ name: 'occ', listenPort: 18090 });
    const updated = await op.pools.update({ id: pool.id, expectedVersion: 1, patch: { algorithm: 'least_connections' }, reason: 'less queueing' });
    expect(updated.version).toBe(2);
    expect(updated.algorithm).toBe('least_connections');
    const tuned = await op.pools.update({ id: pool.id, expectedVersion: 2, patch: { healthCheck: { path: '/healthz' } } });
    expect(tuned.algorithm).toBe('least_connections');
    expect(tuned.healthCheck).toMatchObject({ path: '/healthz', rise: 2, fall: 3 });
    const stale = await failure(op.pools.update({ id: pool.id, expectedVersion: 2, patch: { algorithm: 'random' } }));
    expect(stale.code).toBe('CONFLICT');
    expect((await op.pools.get({ id: pool.id })).algorithm).toBe('least_connections');
    const revision = (await op.revisions.list({ limit: 2 }))[1];
    expect(revision?.message).toBe('less queueing');
    expect(revision?.author).toBe('operator@example.com');
  });

  it('answers NOT_FOUND for unknown ids', async () => {
    const op = await api.as('operator');
    expect((await failure(op.pools.get({ id: 'nope' }))).code).toBe('NOT_FOUND');
    expect((await failure(op.pools.delete({ id: 'nope', expectedVersion: 1 }))).code).toBe('NOT_FOUND');
  });

  it('enforces roles: anonymous is refused, a viewer reads but cannot write', async () => {
    expect((await failure(api.anonymous().pools.list())).code).toBe('UNAUTHORIZED');
    const viewer = await api.as('viewer');
    expect(Array.isArray(await viewer.pools.list())).toBe(true);
    expect((await failure(viewer.pools.create({ name: 'nope', listenPort: 18099 }))).code).toBe('FORBIDDEN');
    const op = await api.as('operator');
    expect((await failure(op.users.list())).code).toBe('FORBIDDEN');
  });

  it('deletes with the current version', async () => {
    const op = await api.as('operator');
    const pool = await op.pools.create({ name: 'gone', listenPort: 18095 });
    expect((await failure(op.pools.delete({ id: pool.id, expectedVersion: 7 }))).code).toBe('CONFLICT');
    await op.pools.delete({ id: pool.id, expectedVersion: 1 });
    expect((await failure(op.pools.get({ id: pool.id }))).code).toBe('NOT_FOUND');
  });
});

describe('backends', () => {
  it('adds, validates, drains and removes backends', async () => {
    const op = await api.as('operator');
    const pool = await op.pools.create({ name: 'api', listenPort: 18100 });
    const a = await op.backends.create({ poolId: pool.id, host: '127.0.0.1', port: 9001, weight: 3 });
    expect(a).toMatchObject({ weight: 3, adminState: 'active', backup: false, version: 1 });

    const dup = await failure(op.backends.create({ poolId: 'api', host: '127.0.0.1', port: 9001 }));
    expect(dup.code).toBe('BAD_REQUEST');
    expect(dup.fields.port?.[0]).toMatch(/already has a backend/);
    expect((await failure(op.backends.create({ poolId: pool.id, host: '127.0.0.1', port: 9002, weight: 0 }))).fields).toHaveProperty('weight');
    expect((await failure(op.backends.create({ poolId: pool.id, host: 'not a host', port: 9002 }))).fields).toHaveProperty('host');
    expect((await failure(op.backends.create({ poolId: 'missing', host: '127.0.0.1', port: 9002 }))).code).toBe('NOT_FOUND');

    const drained = await op.backends.update({ id: a.id, expectedVersion: 1, patch: { adminState: 'draining' } });
    expect(drained.adminState).toBe('draining');
    expect(drained.weight).toBe(3); // a patch changes only what it names
    expect((await failure(op.backends.update({ id: a.id, expectedVersion: 1, patch: { weight: 5 } }))).code).toBe('CONFLICT');

    const b = await op.backends.create({ poolId: pool.id, host: '127.0.0.1', port: 9002 });
    const moved = await failure(op.backends.update({ id: b.id, expectedVersion: 1, patch: { port: 9001 } }));
    expect(moved.fields.port?.[0]).toMatch(/already has a backend/);

    await op.backends.delete({ id: a.id, expectedVersion: 2 });
    expect((await op.backends.list({ poolId: pool.id })).map((x) => x.port)).toEqual([9002]);
  });
});
