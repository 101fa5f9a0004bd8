import { type TBackend, type TPool, type TPoolConfig, type TPoolUpdate, ZPoolConfig, applyPatch, flattenZodIssues } from '@fulcrum/protocol';
import type { PrismaClient } from '@fulcrum/db';
import { AppError } from '../../errors';
import type { Actor } from '../../trpc';
import { assertCredentialUsable } from '../database-credentials/database-credentials';
import { commitChange } from '../revisions/commit-change';
import { findPoolRow } from './find-pool';
import { refuseIfRoutedTo, syncOwnListener } from './own-listener';
import { POOL_INCLUDE, poolColumns, toBackend, toPool } from './pool-mapper';

export async function listPools(prisma: PrismaClient): Promise<(TPool & { backendCount: number })[]> {
  const rows = await prisma.pool.findMany({ orderBy: { name: 'asc' }, include: { ...POOL_INCLUDE, _count: { select: { backends: true } } } });
  return rows.map((r) => ({ ...toPool(r), backendCount: r._count.backends }));
}

export async function getPool(prisma: PrismaClient, idOrName: string): Promise<TPool & { backends: TBackend[] }> {
  const row = await findPoolRow(prisma, idOrName);
  const backends = await prisma.backend.findMany({ where: { poolId: row.id }, orderBy: [{ host: 'asc' }, { port: 'asc' }] });
  return { ...toPool(row), backends: backends.map(toBackend) };
}

export interface CreatePoolOptions {
  actor: Actor;
  config: TPoolConfig;
  reason?: string;
}

export async function createPool(prisma: PrismaClient, { actor, config, reason }: CreatePoolOptions): Promise<TPool> {
  const made = config.listenPort === undefined ? '' : ` with listener ${config.name} on port ${config.listenPort}`;
  const { result } = await commitChange(prisma, { actor, message: reason || `create pool ${config.name}${made}` }, async (tx) => {
    await assertCredentialUsable(tx, config.healthCheck);
    const row = await tx.pool.create({ data: poolColumns(config) });
    await syncOwnListener(tx, row.id, config);
    return tx.pool.findUniqueOrThrow({ where: { id: row.id }, include: POOL_INCLUDE });
  });
  return toPool(result);
}

export interface UpdatePoolOptions {
  actor: Actor;
  update: TPoolUpdate;
  reason?: string;
}

/**
 * Applies a partial change on top of the stored config; refused when the pool moved on since
 * `expectedVersion`. A patch that changes nothing writes nothing and answers the pool as it is.
 */
export async function updatePool(prisma: PrismaClient, { actor, update, reason }: UpdatePoolOptions): Promise<TPool> {
  const changed = Object.keys(update.patch).join(', ') || 'nothing';
  // Pools may be named by id or name; the event needs the id.
  const existing = await findPoolRow(prisma, update.id);
  const { id: poolId, name } = existing;
  const preview = applyPatch(ZPoolConfig, toPool(existing), update.patch);
  if (preview.success && !preview.changed) {
    if (existing.version !== update.expectedVersion) throw staleError('pool', existing.version);
    return toPool(existing);
  }
  const { result } = await commitChange(prisma, { actor, message: reason || `update pool ${name}: ${changed}`, poolId }, async (tx) => {
    const row = await findPoolRow(tx, poolId);
    const merged = applyPatch(ZPoolConfig, toPool(row), update.patch);
    if (!merged.success) throw new AppError('BAD_REQUEST', 'invalid pool configuration', flattenZodIssues(merged.error.issues));
    await assertCredentialUsable(tx, merged.data.healthCheck);
    const res = await tx.pool.updateMany({ where: { id: row.id, version: update.expectedVersion }, data: { ...poolColumns(merged.data), version: { increment: 1 } } });
    if (res.count === 0) throw staleError('pool', row.version);
    await syncOwnListener(tx, row.id, merged.data, toPool(row));
    return tx.pool.findUniqueOrThrow({ where: { id: row.id }, include: POOL_INCLUDE });
  });
  return toPool(result);
}

export interface DeletePoolOptions {
  actor: Actor;
  id: string;
  expectedVersion: number;
  reason?: string;
}

export async function deletePool(prisma: PrismaClient, { actor, id, expectedVersion, reason }: DeletePoolOptions): Promise<void> {
  const row = await findPoolRow(prisma, id);
  await commitChange(prisma, { actor, message: reason || `delete pool ${row.name}${row.ownListener ? ' and its listener' : ''}` }, async (tx) => {
    await refuseIfRoutedTo(tx, row.id, row.name);
    const current = await tx.pool.count({ where: { id: row.id, version: expectedVersion } });
    // Its own listener first: the route of that listener holds the pool until it goes.
    if (current === 1) await tx.listener.deleteMany({ where: { poolId: row.id } });
    const deleted = await tx.pool.deleteMany({ where: { id: row.id, version: expectedVersion } });
    if (deleted.count === 0) {
      const still = await tx.pool.findUnique({ where: { id: row.id } });
      if (!still) throw new AppError('NOT_FOUND', `no pool ${id}`);
      throw staleError('pool', still.version);
    }
  });
}

export function staleError(what: string, currentVersion: number): AppError {
  return new AppError('CONFLICT', `this ${what} was changed by someone else (now at version ${currentVersion}); reload and try again`);
}
