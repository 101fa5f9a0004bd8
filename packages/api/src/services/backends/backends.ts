import { type TBackend, type TBackendConfig, type TBackendUpdate, ZBackendConfig, applyPatch, backendAddress, flattenZodIssues } from '@fulcrum/protocol';
import type { PrismaClient } from '@fulcrum/db';
import { AppError } from '../../errors';
import type { Actor } from '../../trpc';
import { findPoolRow } from '../pools/find-pool';
import { toBackend } from '../pools/pool-mapper';
import { staleError } from '../pools/pools';
import { commitChange } from '../revisions/commit-change';

export async function listBackends(prisma: PrismaClient, poolIdOrName: string): Promise<TBackend[]> {
  const pool = await findPoolRow(prisma, poolIdOrName);
  const rows = await prisma.backend.findMany({ where: { poolId: pool.id }, orderBy: [{ host: 'asc' }, { port: 'asc' }] });
  return rows.map(toBackend);
}

export interface CreateBackendOptions {
  actor: Actor;
  poolId: string;
  config: TBackendConfig;
  reason?: string;
  managedBy?: string;
}

export async function createBackend(prisma: PrismaClient, { actor, poolId, config, reason, managedBy }: CreateBackendOptions): Promise<TBackend> {
  const pool = await findPoolRow(prisma, poolId);
  const { result } = await commitChange(prisma, { actor, message: reason || `add backend ${backendAddress(config)} to ${pool.name}`, poolId: pool.id }, async (tx) => {
    const clash = await tx.backend.findFirst({ where: { poolId: pool.id, host: config.host, port: config.port } });
    if (clash) throw AppError.field('port', `pool ${pool.name} already has a backend at ${backendAddress(config)}`);
    return tx.backend.create({ data: { ...config, versionLabel: config.versionLabel ?? null, poolId: pool.id, managedBy: managedBy ?? null } });
  });
  return toBackend(result);
}

export interface UpdateBackendOptions {
  actor: Actor;
  update: TBackendUpdate;
  reason?: string;
}

/** Like updatePool: optimistic, and a patch that changes nothing writes nothing. */
export async function updateBackend(prisma: PrismaClient, { actor, update, reason }: UpdateBackendOptions): Promise<TBackend> {
  const existing = await prisma.backend.findUnique({ where: { id: update.id }, include: { pool: true } });
  if (!existing) throw new AppError('NOT_FOUND', `no backend ${update.id}`);
  const preview = applyPatch(ZBackendConfig, toBackend(existing), update.patch);
  if (preview.success && !preview.changed) {
    if (existing.version !== update.expectedVersion) throw staleError('backend', existing.version);
    return toBackend(existing);
  }
  const what = update.patch.adminState && Object.keys(update.patch).length === 1 ? `set ${update.patch.adminState}` : `update ${Object.keys(update.patch).join(', ')}`;
  const message = reason || `${what} on backend ${backendAddress(existing)} in ${existing.pool.name}`;
  const { result } = await commitChange(prisma, { actor, message, poolId: existing.poolId }, async (tx) => {
    const current = await tx.backend.findUnique({ where: { id: update.id } });
    if (!current) throw new AppError('NOT_FOUND', `no backend ${update.id}`);
    const merged = applyPatch(ZBackendConfig, toBackend(current), update.patch);
    if (!merged.success) throw new AppError('BAD_REQUEST', 'invalid backend', flattenZodIssues(merged.error.issues));
    const m = merged.data;
    if (m.host !== current.host || m.port !== current.port) {
      const clash = await tx.backend.findFirst({ where: { poolId: current.poolId, host: m.host, port: m.port, id: { not: current.id } } });
      if (clash) throw AppError.field('port', `this pool already has a backend at ${backendAddress(m)}`);
    }
    const res = await tx.backend.updateMany({
      where: { id: current.id, version: update.expectedVersion },
      data: { ...m, versionLabel: m.versionLabel ?? null, version: { increment: 1 } },
    });
    if (res.count === 0) throw staleError('backend', current.version);
    return tx.backend.findUniqueOrThrow({ where: { id: current.id } });
  });
  return toBackend(result);
}

export interface DeleteBackendOptions {
  actor: Actor;
  id: string;
  expectedVersion: number;
  reason?: string;
}

export async function deleteBackend(prisma: PrismaClient, { actor, id, expectedVersion, reason }: DeleteBackendOptions): Promise<void> {
  const existing = await prisma.backend.findUnique({ where: { id }, include: { pool: true } });
  if (!existing) throw new AppError('NOT_FOUND', `no backend ${id}`);
  await commitChange(prisma, { actor, message: reason || `remove backend ${backendAddress(existing)} from ${existing.pool.name}`, poolId: existing.poolId }, async (tx) => {
    const res = await tx.backend.deleteMany({ where: { id, version: expectedVersion } });
    if (res.count === 0) {
      const still = await tx.backend.findUnique({ where: { id } });
      if (!still) throw new AppError('NOT_FOUND', `no backend ${id}`);
      throw staleError('backend', still.version);
    }
  });
}
