import { Prisma, type PrismaClient, type ProviderProfile, type ScalingRule } from '@fulcrum/db';
import { type TScalingRuleConfig, type TScalingRuleRecord, ZScalingRuleSettings, ZScalingRuleState, checkProfileParams } from '@fulcrum/protocol';
import { AppError } from '../errors';
import { findPoolRow } from '../services/pools/find-pool';
import { staleError } from '../services/pools/pools';
import { findProfileRow, profileSpec } from '../services/provider-profiles/provider-profiles';

type RuleRow = ScalingRule & { profile: Pick<ProviderProfile, 'id' | 'name' | 'kind'> | null };
const withProfile = { profile: { select: { id: true, name: true, kind: true } } } as const;

/** What a pre-profile rule ran, for an admin to review: the target only, never a secret or token. */
function legacySummary(raw: unknown): TScalingRuleRecord['legacyProvider'] {
  if (!raw || typeof raw !== 'object') return null;
  const p = raw as Record<string, unknown>;
  const s = (v: unknown) => (typeof v === 'string' ? v : '');
  const target =
    p.kind === 'process'
      ? s(p.command)
      : p.kind === 'docker'
        ? `${s(p.image)} via ${s(p.baseUrl) || s(p.socketPath) || '/var/run/docker.sock'}`
        : p.kind === 'kubernetes'
          ? `${s(p.apiUrl)} ${s(p.namespace)}/${s(p.deployment)}`
          : s(p.url);
  return { kind: s(p.kind) || 'unknown', target };
}

export function toScalingRuleRecord(row: RuleRow): TScalingRuleRecord {
  const state = row.state ? ZScalingRuleState.safeParse(row.state) : null;
  const settings = ZScalingRuleSettings.parse(row.config);
  return {
    id: row.id,
    poolId: row.poolId,
    name: row.name,
    enabled: row.enabled,
    metric: row.metric as TScalingRuleRecord['metric'],
    config: { ...settings, enabled: row.enabled, provider: row.profileId ? { profile: row.profileId, params: (row.params ?? {}) as Record<string, string> } : null },
    profile: row.profile ? { id: row.profile.id, name: row.profile.name, kind: row.profile.kind as 'process' } : null,
    legacyProvider: legacySummary(row.legacyProvider),
    state: state?.success ? state.data : null,
    lastActionAt: row.lastActionAt?.toISOString() ?? null,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function listScalingRules(prisma: PrismaClient, poolIdOrName: string): Promise<TScalingRuleRecord[]> {
  const pool = await findPoolRow(prisma, poolIdOrName);
  const rows = await prisma.scalingRule.findMany({ where: { poolId: pool.id }, include: withProfile, orderBy: { name: 'asc' } });
  return rows.map(toScalingRuleRecord);
}

/**
 * The columns a rule is stored as. The provider is only ever a profile an admin declared and
 * values for its declared parameters, each checked against its type and pattern here.
 */
async function columns(prisma: PrismaClient, rule: TScalingRuleConfig) {
  const profile = await findProfileRow(prisma, rule.provider.profile);
  const { errors } = checkProfileParams(profileSpec(profile).parameters, rule.provider.params, 'rule.provider.params.');
  const first = Object.entries(errors)[0];
  if (first) throw new AppError('BAD_REQUEST', `${first[0]}: ${first[1][0]}`, errors);
  const { provider, ...settings } = rule;
  return { name: rule.name, enabled: rule.enabled, metric: rule.metric, config: settings, profileId: profile.id, params: provider.params };
}

export async function createScalingRule(prisma: PrismaClient, { poolId, rule }: { poolId: string; rule: TScalingRuleConfig }): Promise<TScalingRuleRecord> {
  const pool = await findPoolRow(prisma, poolId);
  const data = await columns(prisma, rule);
  return toScalingRuleRecord(await prisma.scalingRule.create({ data: { poolId: pool.id, ...data }, include: withProfile }));
}

/** A rule made before profiles gets one here; its old inline provider is dropped once replaced. */
export async function updateScalingRule(prisma: PrismaClient, { id, expectedVersion, rule }: { id: string; expectedVersion: number; rule: TScalingRuleConfig }): Promise<TScalingRuleRecord> {
  const data = await columns(prisma, rule);
  const res = await prisma.scalingRule.updateMany({ where: { id, version: expectedVersion }, data: { ...data, legacyProvider: Prisma.DbNull, version: { increment: 1 } } });
  if (res.count === 0) {
    const still = await prisma.scalingRule.findUnique({ where: { id } });
    if (!still) throw new AppError('NOT_FOUND', `no scaling rule ${id}`);
    throw staleError('scaling rule', still.version);
  }
  return toScalingRuleRecord(await prisma.scalingRule.findUniqueOrThrow({ where: { id }, include: withProfile }));
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
