import { LOCK_ID, type PrismaClient } from '@fulcrum/db';
import { type TDeployRecord, type TDeployStart, backendAddress, checkProfileParams } from '@fulcrum/protocol';
import { AppError } from '../../errors';
import type { Actor } from '../../trpc';
import { findPoolRow } from '../pools/find-pool';
import { profileSpec } from '../provider-profiles/provider-profiles';
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
export async function startDeploy(prisma: PrismaClient, { actor, pool: poolRef, spec: requested }: StartDeployOptions): Promise<TDeployRecord> {
  const pool = await findPoolRow(prisma, poolRef);
  let spec = requested;
  if (spec.strategy === 'canary' && WEIGHT_BLIND_ALGORITHMS.includes(pool.algorithm)) {
    throw AppError.field(
      'strategy',
      `a canary shifts traffic by weight, and pool ${pool.name} uses ${pool.algorithm}, which ignores weights: switch the pool to weighted_round_robin or weighted_least_connections, or deploy with strategy bluegreen`,
    );
  }
  if (spec.strategy === 'rolling') spec = { ...spec, rule: await rollingRule(prisma, pool, spec) };
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
    const existing = spec.backends.length ? await tx.backend.findMany({ where: { poolId: pool.id } }) : [];
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
    await recordStep(prisma, {
      deployId: deploy.row.id,
      poolId: pool.id,
      name: 'requested',
      status: 'requested',
      message: `${spec.strategy} of version ${spec.version} ${spec.strategy === 'rolling' ? `through rule ${spec.rule}` : `to ${spec.backends.map(backendAddress).join(', ')}`} by ${actor.name}`,
    });
    getDeployRunner()?.poke();
  }
  return getDeploy(prisma, deploy.row.id);
}

/**
 * The scaling rule whose provider starts a rolling deploy's instances: the one named, or the
 * pool's only rule with a profile. Its profile must declare a `version` parameter (what `{version}`
 * fills in the command or image) and the new version must match its pattern.
 */
async function rollingRule(prisma: PrismaClient, pool: { id: string; name: string }, spec: TDeployStart): Promise<string> {
  const rules = await prisma.scalingRule.findMany({ where: { poolId: pool.id, profileId: { not: null } }, include: { profile: true } });
  const rule = spec.rule ? rules.find((r) => r.name === spec.rule) : rules.length === 1 ? rules[0] : undefined;
  if (spec.rule && !rule) throw AppError.field('rule', `pool ${pool.name} has no scaling rule ${spec.rule} with a provider profile`);
  if (!rule) {
    throw rules.length
      ? AppError.field('rule', `pool ${pool.name} has ${rules.length} scaling rules; name the one whose provider starts the new version`)
      : AppError.field('strategy', `pool ${pool.name} has no scaling rule with a provider profile; a rolling deploy starts the new version through one`);
  }
  const profile = rule.profile!;
  if (profile.kind !== 'process' && profile.kind !== 'docker')
    throw AppError.field('strategy', `a rolling deploy starts single instances, which a ${profile.kind} profile cannot (process and docker can)`);
  const declared = profileSpec(profile).parameters.find((p) => p.name === 'version');
  if (!declared) throw AppError.field('version', `profile ${profile.name} declares no version parameter, so {version} cannot start a new version; an admin adds one`);
  const { errors } = checkProfileParams([declared], { version: spec.version }, '');
  if (errors.version) throw AppError.field('version', errors.version[0]!);
  return rule.name;
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
