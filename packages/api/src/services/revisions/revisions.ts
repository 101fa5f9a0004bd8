import { SNAPSHOT_SCHEMA, type TConfigSnapshot, ZConfigSnapshot } from '@fulcrum/protocol';
import type { Prisma, PrismaClient } from '@fulcrum/db';
import { AppError } from '../../errors';
import type { Actor } from '../../trpc';
import { listenerColumns, routeColumns } from '../listeners/listener-mapper';
import { poolColumns } from '../pools/pool-mapper';
import { recordEvent } from '../events/events';
import { type CommittedRevision, commitChange } from './commit-change';
import { poolsChangedBy } from './pools-changed';
import { type SnapshotChange, diffSnapshots } from './snapshot-diff';

export interface RevisionSummary {
  version: number;
  hash: string;
  author: string;
  message: string;
  rollbackOf: number | null;
  createdAt: string;
}

type RevisionRow = { version: number; hash: string; author: string; message: string; rollbackOf: number | null; createdAt: Date };

function toSummary(r: RevisionRow): RevisionSummary {
  return { version: r.version, hash: r.hash, author: r.author, message: r.message, rollbackOf: r.rollbackOf, createdAt: r.createdAt.toISOString() };
}

const summarySelect = { version: true, hash: true, author: true, message: true, rollbackOf: true, createdAt: true } as const;

export async function listRevisions(prisma: PrismaClient, opts: { limit: number; beforeVersion?: number }): Promise<RevisionSummary[]> {
  const rows = await prisma.configRevision.findMany({
    where: opts.beforeVersion ? { version: { lt: opts.beforeVersion } } : undefined,
    orderBy: { version: 'desc' },
    take: opts.limit,
    select: summarySelect,
  });
  return rows.map(toSummary);
}

/** The snapshot of a version; version 0 is the empty configuration before the first change. */
export async function getRevision(prisma: PrismaClient, version: number): Promise<RevisionSummary & { snapshot: TConfigSnapshot }> {
  if (version === 0) {
    return {
      version: 0,
      hash: '',
      author: 'system',
      message: 'empty configuration',
      rollbackOf: null,
      createdAt: new Date(0).toISOString(),
      snapshot: { schema: SNAPSHOT_SCHEMA, version: 0, hash: '', pools: [], listeners: [] },
    };
  }
  const row = await prisma.configRevision.findUnique({ where: { version } });
  if (!row) throw new AppError('NOT_FOUND', `no revision ${version}`);
  return { ...toSummary(row), snapshot: ZConfigSnapshot.parse(row.snapshot) };
}

/** The newest revision's snapshot, or null before the first change. */
export async function getCurrentSnapshot(prisma: PrismaClient): Promise<TConfigSnapshot | null> {
  const row = await prisma.configRevision.findFirst({ orderBy: { version: 'desc' } });
  return row ? ZConfigSnapshot.parse(row.snapshot) : null;
}

export async function diffRevisions(prisma: PrismaClient, from: number, to: number): Promise<{ from: number; to: number; changes: SnapshotChange[] }> {
  const [a, b] = await Promise.all([getRevision(prisma, from), getRevision(prisma, to)]);
  return { from, to, changes: diffSnapshots(a.snapshot, b.snapshot) };
}

export interface RollbackOptions {
  actor: Actor;
  version: number;
  /** The newest revision the caller saw: a rollback decided before someone else's change is refused. */
  expectedVersion?: number;
  message?: string;
}

function assertLatest(latest: number, expectedVersion: number | undefined): void {
  if (expectedVersion !== undefined && latest !== expectedVersion) {
    throw new AppError('CONFLICT', `the configuration was changed by someone else (now at revision ${latest}); reload and try again`);
  }
}

/**
 * Restores the pools, backends, listeners and routes of an earlier revision as a new revision (history is never
 * rewritten). Ids are kept, so data planes carry health and counters over for what stays.
 * Restoring what is already current writes nothing and answers the current revision.
 */
export async function rollbackToRevision(prisma: PrismaClient, { actor, version, expectedVersion, message }: RollbackOptions): Promise<RevisionSummary> {
  const target = await getRevision(prisma, version);
  const [latest] = await listRevisions(prisma, { limit: 1 });
  assertLatest(latest?.version ?? 0, expectedVersion);
  if (latest && latest.hash === target.hash) return latest;
  const { revision } = await commitChange(prisma, { actor, message: message || `roll back to revision ${version}`, rollbackOf: version }, async (tx) => {
    // Checked again under the revision lock, where no other change can slip in.
    const newest = await tx.configRevision.findFirst({ orderBy: { version: 'desc' }, select: { version: true } });
    assertLatest(newest?.version ?? 0, expectedVersion);
    await restoreSnapshot(tx, target.snapshot);
  });
  // A rollback is an event of every pool it changed, so each pool's timeline and its saved-vs-running status see it.
  for (const poolId of await poolsChangedBy(prisma, revision.version)) {
    await recordEvent(prisma, {
      kind: 'config_revision',
      poolId,
      message: `revision ${revision.version} by ${actor.name} rolls this pool back to revision ${version}`,
      data: { version: revision.version, rollbackOf: version },
    });
  }
  return (await listRevisions(prisma, { limit: 1, beforeVersion: revision.version + 1 }))[0]!;
}

/**
 * Makes the rows say what a snapshot says: pools with their backends, listeners with their
 * routes. Surviving rows keep their ids and count their versions on. A listener whose id is a
 * pool's is that pool's own (made with it in one step, as the migration and syncOwnListener
 * give them), so it goes with the pool again.
 */
async function restoreSnapshot(tx: Prisma.TransactionClient, snapshot: TConfigSnapshot): Promise<void> {
  const routeIds = snapshot.listeners.flatMap((l) => l.routes.map((r) => r.id));
  const listenerIds = snapshot.listeners.map((l) => l.id);
  const poolIds = snapshot.pools.map((p) => p.id);
  // Routes and listeners first, so that no route holds on to a pool that goes; survivors are
  // parked on placeholder names and ports so that swaps never collide midway.
  await tx.route.deleteMany({ where: { id: { notIn: routeIds } } });
  await tx.listener.deleteMany({ where: { id: { notIn: listenerIds } } });
  const parkedRoutes = await tx.route.findMany({ select: { id: true } });
  for (const [i, r] of parkedRoutes.entries()) await tx.route.update({ where: { id: r.id }, data: { name: `__restoring_${i}`, poolId: null } });
  const parkedListeners = await tx.listener.findMany({ select: { id: true } });
  for (const [i, l] of parkedListeners.entries()) await tx.listener.update({ where: { id: l.id }, data: { name: `__restoring_${i}`, port: -(i + 1), poolId: null } });

  await tx.pool.deleteMany({ where: { id: { notIn: poolIds } } });
  const existing = await tx.pool.findMany({ where: { id: { in: poolIds } }, select: { id: true } });
  for (const [i, p] of existing.entries()) await tx.pool.update({ where: { id: p.id }, data: { name: `__restoring_${i}` } });
  await tx.backend.deleteMany({ where: { poolId: { in: poolIds } } });
  for (const pool of snapshot.pools) {
    const { id, backends, ...config } = pool;
    const columns = poolColumns(config);
    await tx.pool.upsert({ where: { id }, create: { id, ...columns }, update: { ...columns, version: { increment: 1 } } });
    for (const { id: backendId, ...b } of backends) {
      await tx.backend.create({ data: { id: backendId, poolId: id, ...b, versionLabel: b.versionLabel ?? null } });
    }
  }

  const pools = new Set(poolIds);
  for (const { id, routes, ...listener } of snapshot.listeners) {
    const columns = { ...listenerColumns(listener), poolId: pools.has(id) ? id : null };
    await tx.listener.upsert({ where: { id }, create: { id, ...columns }, update: { ...columns, version: { increment: 1 } } });
    for (const { id: routeId, ...route } of routes) {
      const routeCols = { listenerId: id, ...routeColumns(route) };
      await tx.route.upsert({ where: { id: routeId }, create: { id: routeId, ...routeCols }, update: { ...routeCols, version: { increment: 1 } } });
    }
  }
}

export type { CommittedRevision };
