import { ZConfigSnapshot } from '@fulcrum/protocol';
import { describe, expect, it } from 'vitest';
import { getCurrentSnapshot } from '../services/revisions/revisions';
import { useTestApi } from '../test-support';

const api = useTestApi();

describe('config revisions', () => {
  it('writes one revision per change with monotonic versions and a valid snapshot', async () => {
    const op = await api.as('operator');
    const pool = await op.pools.create({ name: 'rev', listenPort: 18200 });
    await op.backends.create({ poolId: pool.id, host: '127.0.0.1', port: 9101 });
    await op.backends.create({ poolId: pool.id, host: '127.0.0.1', port: 9102, weight: 2 });
    const list = await op.revisions.list({ limit: 10 });
    expect(list.map((r) => r.version)).toEqual([3, 2, 1]);
    expect(list[0]?.message).toMatch(/add backend 127.0.0.1:9102 to rev/);

    const current = await getCurrentSnapshot(api.db.prisma);
    expect(ZConfigSnapshot.safeParse(current).success).toBe(true);
    expect(current?.version).toBe(3);
    expect(current?.pools[0]?.backends.map((b) => b.port)).toEqual([9101, 9102]);
    const events = await op.events.list({ kind: 'config_revision', limit: 10 });
    expect(events).toHaveLength(3);
  });

  it('serializes concurrent writers: versions stay unique and gapless', async () => {
    const op = await api.as('operator');
    const pool = await op.pools.get({ id: 'rev' });
    await Promise.all(Array.from({ length: 8 }, (_, i) => op.backends.create({ poolId: pool.id, host: '127.0.0.1', port: 9200 + i })));
    const versions = (await op.revisions.list({ limit: 100 })).map((r) => r.version).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => i + 1));
  });

  it('diffs two revisions by pool name and backend address', async () => {
    const op = await api.as('operator');
    const pool = await op.pools.get({ id: 'rev' });
    const before = (await op.revisions.list({ limit: 1 }))[0]!.version;
    await op.pools.update({ id: pool.id, expectedVersion: pool.version, patch: { algorithm: 'weighted_round_robin' } });
    const b = pool.backends.find((x) => x.port === 9102)!;
    await op.backends.update({ id: b.id, expectedVersion: b.version, patch: { weight: 5 } });
    const diff = await op.revisions.diff({ from: before, to: before + 2 });
    expect(diff.changes).toEqual(
      expect.arrayContaining([
        { path: 'pools.rev.algorithm', kind: 'changed', before: 'round_robin', after: 'weighted_round_robin' },
        { path: 'pools.rev.backends.127.0.0.1:9102.weight', kind: 'changed', before: 2, after: 5 },
      ]),
    );
    const fromEmpty = await op.revisions.diff({ from: 0, to: 1 });
    // A pool with its own port is a listener with a catch-all route to it: both appear.
    expect(fromEmpty.changes).toEqual([expect.objectContaining({ path: 'pools.rev', kind: 'added' }), expect.objectContaining({ path: 'listeners.rev', kind: 'added' })]);
  });

  it('rolls back to an earlier revision as a new revision, keeping ids', async () => {
    const op = await api.as('operator');
    const other = await op.pools.create({ name: 'later', listenPort: 18201 });
    const rolled = await op.revisions.rollback({ version: 3, message: 'back to three backends' });
    expect(rolled.rollbackOf).toBe(3);
    expect(rolled.message).toBe('back to three backends');
    const pools = await op.pools.list();
    expect(pools.map((p) => p.name)).toEqual(['rev']);
    expect(pools.map((p) => p.id)).not.toContain(other.id);
    const restored = await op.pools.get({ id: 'rev' });
    expect(restored.algorithm).toBe('round_robin');
    expect(restored.backends.map((b) => `${b.port}:${b.weight}`)).toEqual(['9101:1', '9102:2']);
    const snap3 = (await op.revisions.get({ version: 3 })).snapshot;
    const now = await getCurrentSnapshot(api.db.prisma);
    expect(now?.hash).toBe(snap3.hash);
    await expect(op.revisions.rollback({ version: 999 })).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const viewer = await api.as('viewer');
    await expect(viewer.revisions.rollback({ version: 1 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
