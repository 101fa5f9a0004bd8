import { LOCK_ID, type PrismaClient } from '@fulcrum/db';
import { type TDeployRecord, type TDeployStart, backendAddress } from '@fulcrum/protocol';
import { AppError } from '../../errors';
import type { Actor } from '../../trpc';
import { findPoolRow } from '../pools/find-pool';
import { WEIGHT_BLIND_ALGORITHMS } from './canary-weights';
import { recordStep, toDeployRecord } from './deploy-records';
import { getDeployRunner } from './deploy-runner';

export const ACTIVE_DEPLOY_STATUSES = ['pending', 'running'] as const;

export async function getDeploy(prisma: PrismaClient, id: string): Promise<TDeployRecord> {
  const d = await prisma.deploy.findUnique({ where: { id }, include: { steps: true } });
  if (!d) throw new AppError('NOT_FOUND', `no deploy ${id}`);
  return toDeployRecord(d);
}

export async function listDeploys(prisma: PrismaClient, poolIdOrName: string, limit = 20): Promise<TDeployRecord[]> {
  const pool = await findPoolRow(prisma, poolIdOrName);
  const rows = await prisma.deploy.findMany({ where: { poolId: pool.id }, include: { steps: true }, orderBy: { createdAt: 'desc' }, take: limit });
  return rows.map(toDeployRecord);
}

export interface StartDeployOptions {
  actor: Actor;
  pool: string;
  spec: TDeployStart;
}

/**
 * Records a deploy for the runner to carry out in the background. A retried call with the same
 * idempotency key gets the deploy it started; a second deploy while one runs is a CONFLICT.
 */
export async function startDeploy(prisma: PrismaClient, { actor, pool: poolRef, spec }: StartDeployOptions): Promise<TDeployRecord> {
  const pool = await findPoolRow(prisma, poolRef);
  if (spec.strategy === 'canary' && WEIGHT_BLIND_ALGORITHMS.includes(pool.algorithm)) {
    throw AppError.field(
      'strategy',
      `a canary shifts traffic by weight, and pool ${pool.name} uses ${pool.algorithm}, which ignores weights: switch the pool to weighted_round_robin or weighted_least_connections, or deploy with strategy bluegreen`,
    );
  }
  const seen = new Set<string>();
  spec.backends.forEach((b, i) => {
    const addr = backendAddress(b);
    if (seen.has(addr)) throw AppError.field(`backends.${i}.port`, `${addr} is listed twice`);
    seen.add(addr);
  });
  const deploy = await prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK_ID.deployStart}, hashtext(${pool.id}))`;
    if (spec.idempotencyKey) {
      const same = await tx.deploy.findUnique({ where: { poolId_idempotencyKey: { poolId: pool.id, idempotencyKey: spec.idempotencyKey } } });
      if (same) return { row: same, fresh: false };
    }
    const active = await tx.deploy.findFirst({ where: { poolId: pool.id, status: { in: [...ACTIVE_DEPLOY_STATUSES] } } });
    if (active) throw new AppError('CONFLICT', `deploy ${active.id} (version ${active.versionLabel}) is still ${active.status} on pool ${pool.name}; wait for it or abort it`);
    const existing = await tx.backend.findMany({ where: { poolId: pool.id } });
    spec.backends.forEach((b, i) => {
      if (existing.some((e) => e.host === b.host && e.port === b.port)) {
        throw AppError.field(`backends.${i}.port`, `pool ${pool.name} already has a backend at ${backendAddress(b)}; a deploy brings new addresses`);
      }
    });
    const row = await tx.deploy.create({
      data: { poolId: pool.id, versionLabel: spec.version, strategy: spec.strategy, spec: spec as never, idempotencyKey: spec.idempotencyKey ?? null, startedBy: actor.name },
    });
    return { row, fresh: true };
  });
  if (deploy.fresh) {
    await recordStep(prisma, { deployId: deploy.row.id, poolId: pool.id, name: 'requested', status: 'requested', message: `${spec.strategy} of version ${spec.version} to ${spec.backends.map(backendAddress).join(', ')} by ${actor.name}` });
    getDeployRunner()?.poke();
  }
  return getDeploy(prisma, deploy.row.id);
}

export interface AbortDeployOptions {
  actor: Actor;
  id: string;
  reason?: string;
}

/** Asks the runner to stop and roll back; it acts at its next check (within a second or so). */
export async function abortDeploy(prisma: PrismaClient, { actor, id, reason }: AbortDeployOptions): Promise<TDeployRecord> {
  const d = await prisma.deploy.findUnique({ where: { id } });
  if (!d) throw new AppError('NOT_FOUND', `no deploy ${id}`);
  if (!(ACTIVE_DEPLOY_STATUSES as readonly string[]).includes(d.status)) throw new AppError('CONFLICT', `deploy ${id} already ended (${d.status})`);
  const already = await prisma.deployStep.findFirst({ where: { deployId: id, name: 'abort' } });
  if (!already) await recordStep(prisma, { deployId: id, poolId: d.poolId, name: 'abort', status: 'requested', message: `abort requested by ${actor.name}${reason ? `: ${reason}` : ''}` });
  getDeployRunner()?.poke();
  return getDeploy(prisma, id);
}
