import { LOCK_ID } from '@fulcrum/db';
import { type TestDatabase, createTestDatabase, stopTestServer } from '@fulcrum/db/testing';
import { emptyClientStats } from '@fulcrum/protocol';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pruneOldRows } from './prune-old-rows';
import { poolRollupData, zeroRollupRow } from '../stats/stats-rollups';
import { RetentionPruner } from './retention-pruner';

const DAY = 24 * 3_600_000;
// An injected clock: every age below is measured from it, never from the wall clock.
const NOW = new Date('2031-06-15T12:00:00.000Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const SETTINGS = { revisions: 5, eventsDays: 90, statsDays: 7, sessionIdleMs: 12 * 3_600_000 };

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(async () => {
  await db?.drop();
  await stopTestServer();
});

async function seed(): Promise<void> {
  const p = db.prisma;
  await p.configRevision.createMany({
    data: Array.from({ length: 12 }, (_, i) => ({ version: i + 1, hash: `h${i + 1}`, snapshot: {}, author: 'test', message: `change ${i + 1}`, createdAt: ago((12 - i) * DAY) })),
  });
  // A data plane still running revision 3 (long behind): its revision stays.
  await p.dataplane.create({ data: { id: 'dp-behind', name: 'behind', softwareVersion: 't', appliedConfigVersion: 3 } });
  await p.revisionApply.createMany({ data: [2, 3, 7, 12].map((version) => ({ dataplaneId: 'dp-behind', version, state: 'applied' })) });
  await p.event.createMany({
    data: [
      { kind: 'test', message: 'ancient', createdAt: ago(400 * DAY) },
      { kind: 'test', message: 'just too old', createdAt: ago(90 * DAY + 1000) },
      { kind: 'test', message: 'just young enough', createdAt: ago(90 * DAY - 1000) },
      { kind: 'test', message: 'today', createdAt: ago(60_000) },
    ],
  });
  const rollup = (bucket: Date, backendId: string) => ({ ...zeroRollupRow({ bucket, poolId: 'pool-r', backendId }), requests: 1, responses2xx: 1 });

  await p.statsRollup.createMany({ data: [rollup(ago(8 * DAY), 'b-old'), rollup(ago(7 * DAY + 10_000), 'b-edge'), rollup(ago(6 * DAY), 'b-kept'), rollup(ago(10_000), 'b-now')] });
  const poolRollup = (bucket: Date, poolId: string) => ({ bucket, poolId, ...poolRollupData({ ...emptyClientStats(), responses: { '1xx': 0, '2xx': 1, '3xx': 0, '4xx': 0, '5xx': 0 } }) });

  await p.poolStatsRollup.createMany({ data: [poolRollup(ago(30 * DAY), 'p-old'), poolRollup(ago(DAY), 'p-kept')] });
  const user = await p.user.create({ data: { email: 'retention@example.com', name: 'r', role: 'viewer', passwordHash: 'x' } });
  const session = (tokenHash: string, expiresAt: Date, lastSeenAt: Date) => ({ userId: user.id, tokenHash, expiresAt, lastSeenAt });
  await p.session.createMany({
    data: [session('expired', ago(1000), ago(2000)), session('idle', ago(-DAY), ago(13 * 3_600_000)), session('active', ago(-DAY), ago(3_600_000))],
  });
}

describe('retention', { timeout: 120_000 }, () => {
  it('prunes old revisions, events, stats rollups and ended sessions, and keeps the recent ones', async () => {
    await seed();
    const p = db.prisma;
    const counts = await pruneOldRows(p, SETTINGS, NOW);

    // The newest 5 (8..12), plus 3, which a data plane still runs.
    expect((await p.configRevision.findMany({ orderBy: { version: 'asc' } })).map((r) => r.version)).toEqual([3, 8, 9, 10, 11, 12]);
    expect((await p.revisionApply.findMany({ orderBy: { version: 'asc' } })).map((r) => r.version)).toEqual([3, 12]);
    expect((await p.event.findMany({ orderBy: { createdAt: 'asc' } })).map((e) => e.message)).toEqual(['just young enough', 'today']);
    expect((await p.statsRollup.findMany({ orderBy: { bucket: 'asc' } })).map((r) => r.backendId)).toEqual(['b-kept', 'b-now']);
    expect((await p.poolStatsRollup.findMany()).map((r) => r.poolId)).toEqual(['p-kept']);
    expect((await p.session.findMany()).map((s) => s.tokenHash)).toEqual(['active']);
    expect(counts).toEqual({ revisions: 6, revisionApplies: 2, events: 2, sessions: 2, statsRollups: 2, poolStatsRollups: 1 });

    // A second pass at the same moment finds nothing more; the newest revision is never pruned.
    expect(Object.values(await pruneOldRows(p, SETTINGS, NOW)).every((n) => n === 0)).toBe(true);
    await pruneOldRows(p, { ...SETTINGS, revisions: 1 }, new Date(NOW.getTime() + 1000 * DAY));
    expect((await p.configRevision.findMany({ orderBy: { version: 'asc' } })).map((r) => r.version)).toEqual([3, 12]);
  });

  it('prunes on one replica at a time: a pass skips while another holds the retention lock', async () => {
    const p = db.prisma;
    await p.event.create({ data: { kind: 'test', message: 'old again', createdAt: ago(200 * DAY) } });
    const pruner = new RetentionPruner(p, { databaseUrl: db.url, settings: SETTINGS, intervalMs: 3_600_000, now: () => NOW });
    const other = new pg.Client({ connectionString: db.url });
    await other.connect();
    try {
      await other.query('SELECT pg_advisory_lock($1)', [LOCK_ID.retention]);
      expect(await pruner.pruneOnce()).toEqual({ ran: false, reason: 'another replica is pruning' });
      expect(await p.event.count({ where: { message: 'old again' } })).toBe(1);
      await other.query('SELECT pg_advisory_unlock($1)', [LOCK_ID.retention]);
      expect(await pruner.pruneOnce()).toMatchObject({ ran: true, counts: { events: 1 } });
      expect(await p.event.count({ where: { message: 'old again' } })).toBe(0);
    } finally {
      await other.end();
    }
  });
});
