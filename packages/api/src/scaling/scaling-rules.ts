import type { PrismaClient, ScalingRule } from '@fulcrum/db';
import { type TScalingRuleConfig, type TScalingRuleRecord, ZScalingRuleConfig, ZScalingRuleState } from '@fulcrum/protocol';
import { AppError } from '../errors';
import { findPoolRow } from '../services/pools/find-pool';
import { staleError } from '../services/pools/pools';

const REDACTED = '(set)';

export function toScalingRuleRecord(row: ScalingRule): TScalingRuleRecord {
  const state = row.state ? ZScalingRuleState.safeParse(row.state) : null;
  return {
    id: row.id,
    poolId: row.poolId,
    name: row.name,
    enabled: row.enabled,
    metric: row.metric as TScalingRuleRecord['metric'],
    config: ZScalingRuleConfig.parse(row.config),
    state: state?.success ? state.data : null,
    lastActionAt: row.lastActionAt?.toISOString() ?? null,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function listScalingRules(prisma: PrismaClient, poolIdOrName: string): Promise<TScalingRuleRecord[]> {
  const pool = await findPoolRow(prisma, poolIdOrName);
  const rows = await prisma.scalingRule.findMany({ where: { poolId: pool.id }, orderBy: { name: 'asc' } });
  return rows.map(toScalingRuleRecord);
}

/** The webhook secret and Kubernetes token are write-only: lists show that one is set, never its value. */
export function redactRule(r: TScalingRuleRecord): TScalingRuleRecord {
  const p = r.config.provider;
  if (p.kind === 'webhook' && p.secret) return { ...r, config: { ...r.config, provider: { ...p, secret: REDACTED } } };
  if (p.kind === 'kubernetes' && p.token) return { ...r, config: { ...r.config, provider: { ...p, token: REDACTED } } };
  return r;
}

function columns(rule: TScalingRuleConfig) {
  return { name: rule.name, enabled: rule.enabled, metric: rule.metric, config: rule as never };
}

export async function createScalingRule(prisma: PrismaClient, { poolId, rule }: { poolId: string; rule: TScalingRuleConfig }): Promise<TScalingRuleRecord> {
  const pool = await findPoolRow(prisma, poolId);
  return toScalingRuleRecord(await prisma.scalingRule.create({ data: { poolId: pool.id, ...columns(rule) } }));
}

/** A form sends back the redacted placeholder when the operator left the secret alone. */
async function keepSecrets(prisma: PrismaClient, id: string, rule: TScalingRuleConfig): Promise<TScalingRuleConfig> {
  const p = rule.provider;
  if (!((p.kind === 'webhook' && p.secret === REDACTED) || (p.kind === 'kubernetes' && p.token === REDACTED))) return rule;
  const stored = await prisma.scalingRule.findUnique({ where: { id } });
  const old = stored ? ZScalingRuleConfig.parse(stored.config).provider : undefined;
  if (p.kind === 'webhook') return { ...rule, provider: { ...p, secret: old?.kind === 'webhook' ? old.secret : undefined } };
  if (p.kind === 'kubernetes') return { ...rule, provider: { ...p, token: old?.kind === 'kubernetes' ? old.token : undefined } };
  return rule;
}

export async function updateScalingRule(prisma: PrismaClient, { id, expectedVersion, rule: input }: { id: string; expectedVersion: number; rule: TScalingRuleConfig }): Promise<TScalingRuleRecord> {
  const rule = await keepSecrets(prisma, id, input);
  const res = await prisma.scalingRule.updateMany({ where: { id, version: expectedVersion }, data: { ...columns(rule), version: { increment: 1 } } });
  if (res.count === 0) {
    const still = await prisma.scalingRule.findUnique({ where: { id } });
    if (!still) throw new AppError('NOT_FOUND', `no scaling rule ${id}`);
    throw staleError('scaling rule', still.version);
  }
  return toScalingRuleRecord(await prisma.scalingRule.findUniqueOrThrow({ where: { id } }));
}

/** Deleting a rule stops its evaluation; the instances it started keep serving as ordinary backends. */
export async function deleteScalingRule(prisma: PrismaClient, { id, expectedVersion }: { id: string; expectedVersion: number }): Promise<void> {
  const res = await prisma.scalingRule.deleteMany({ where: { id, version: expectedVersion } });
  if (res.count === 0) {
    const still = await prisma.scalingRule.findUnique({ where: { id } });
    if (!still) throw new AppError('NOT_FOUND', `no scaling rule ${id}`);
    throw staleError('scaling rule', still.version);
  }
}
