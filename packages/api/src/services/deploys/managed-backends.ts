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

/** Whether the newest revision runs everywhere, and if not, why: refused (whole, or for the pool) or not confirmed in time. */
export type RevisionApplied = { ok: true; version: number | null } | { ok: false; refused: boolean; reason: string };

interface RefusedPoolRecord {
  poolId?: string;
  pool?: string;
}

/**
 * Waits until every connected data plane runs the newest revision, or one refuses it: a nack,
 * or a partial ack naming `poolId` (its other pools took the revision, that one did not).
 */
export async function waitRevisionApplied(prisma: PrismaClient, poolId: string | undefined, timeoutMs: number, shouldStop: () => Promise<void> = async () => {}): Promise<RevisionApplied> {
  const latest = await prisma.configRevision.findFirst({ orderBy: { version: 'desc' }, select: { version: true } });
  if (!latest) return { ok: true, version: null };
  const deadline = Date.now() + timeoutMs;
  let behind: string[] = [];
  while (Date.now() < deadline) {
    const dps = await prisma.dataplane.findMany({ where: { connected: true }, select: { name: true, appliedConfigVersion: true, refusedConfigVersion: true, refusedPools: true, lastError: true } });
    const refusals = dps.filter((d) => {
      if (d.refusedConfigVersion === null || d.refusedConfigVersion < latest.version) return false;
      if (d.refusedPools === null) return true;
      return poolId !== undefined && (d.refusedPools as RefusedPoolRecord[]).some((p) => p.poolId === poolId);
    });
    if (refusals.length) {
      return { ok: false, refused: true, reason: `config ${latest.version} refused by ${refusals.map((d) => `data plane ${d.name} (${d.lastError ?? 'no reason given'})`).join(', ')}` };
    }
    behind = dps.filter((d) => (d.appliedConfigVersion ?? -1) < latest.version).map((d) => d.name);
    if (behind.length === 0) return { ok: true, version: latest.version };
    await shouldStop();
    await new Promise((r) => setTimeout(r, 100));
  }
  return { ok: false, refused: false, reason: `data plane(s) ${behind.join(', ')} did not confirm config ${latest.version} within ${timeoutMs} ms` };
}

/** Waits until every connected data plane runs the newest revision (or the time is up); returns whether they all did. */
export async function waitDataplanesApplied(prisma: PrismaClient, timeoutMs: number, shouldStop: () => Promise<void> = async () => {}): Promise<boolean> {
  return (await waitRevisionApplied(prisma, undefined, timeoutMs, shouldStop)).ok;
}
