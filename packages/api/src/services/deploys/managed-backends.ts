import type { PrismaClient } from '@fulcrum/db';
import type { TBackend, TBackendConfig } from '@fulcrum/protocol';
import { AppError } from '../../errors';
import type { Actor } from '../../trpc';
import { createBackend, deleteBackend, updateBackend } from '../backends/backends';

/** Attempts when an operator edits the same backend at the same moment (optimistic version clash). */
const ATTEMPTS = 3;

/** The identity deploys and the autoscaler act under; it names itself in every revision. */
export function systemActor(name: string): Actor {
  return { kind: 'token', id: 'system', name, role: 'operator' };
}

async function retryStale<T>(f: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await f();
    } catch (err) {
      if (!(err instanceof AppError && err.code === 'CONFLICT') || i >= ATTEMPTS) throw err;
    }
  }
}

/**
 * Changes made by deploys and scaling go through the backend services, so each one is a config
 * revision the data planes receive, exactly like an operator's change.
 */
export function addBackend(prisma: PrismaClient, actor: Actor, poolId: string, config: TBackendConfig, managedBy: string, reason: string): Promise<TBackend> {
  return createBackend(prisma, { actor, poolId, config, managedBy, reason });
}

/** Patches a backend at its current version; a backend that is gone is reported as null. */
export function patchBackend(prisma: PrismaClient, actor: Actor, id: string, patch: Partial<Pick<TBackendConfig, 'weight' | 'adminState'>>, reason: string): Promise<TBackend | null> {
  return retryStale(async () => {
    const row = await prisma.backend.findUnique({ where: { id } });
    if (!row) return null;
    if (Object.entries(patch).every(([k, v]) => (row as Record<string, unknown>)[k] === v)) return null;
    return updateBackend(prisma, { actor, update: { id, expectedVersion: row.version, patch }, reason });
  });
}

export function removeBackend(prisma: PrismaClient, actor: Actor, id: string, reason: string): Promise<void> {
  return retryStale(async () => {
    const row = await prisma.backend.findUnique({ where: { id } });
    if (!row) return;
    await deleteBackend(prisma, { actor, id, expectedVersion: row.version, reason });
  });
}

/** Waits until every connected data plane runs the newest revision (or the time is up); returns whether they all did. */
export async function waitDataplanesApplied(prisma: PrismaClient, timeoutMs: number, shouldStop: () => Promise<void> = async () => {}): Promise<boolean> {
  const latest = await prisma.configRevision.findFirst({ orderBy: { version: 'desc' }, select: { version: true } });
  if (!latest) return true;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const behind = await prisma.dataplane.count({ where: { connected: true, OR: [{ appliedConfigVersion: null }, { appliedConfigVersion: { lt: latest.version } }] } });
    if (behind === 0) return true;
    await shouldStop();
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}
