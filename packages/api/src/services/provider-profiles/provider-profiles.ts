import type { Prisma, PrismaClient, ProviderProfile } from '@fulcrum/db';
import { type TProviderProfileCreate, type TProviderProfileRecord, type TProviderProfileSpec, type TProviderProfileUpdate, ZProviderProfileSpec, checkProfileParams } from '@fulcrum/protocol';
import { AppError } from '../../errors';
import { staleError } from '../pools/pools';

type Db = PrismaClient | Prisma.TransactionClient;
type ProfileRow = ProviderProfile & { _count?: { scalingRules: number } };

/** The spec as stored; a row that no longer parses (edited by hand) is refused rather than run. */
export function profileSpec(row: Pick<ProviderProfile, 'spec' | 'name'>): TProviderProfileSpec {
  const parsed = ZProviderProfileSpec.safeParse(row.spec);
  if (!parsed.success) throw new AppError('BAD_REQUEST', `provider profile ${row.name} holds an invalid spec; an admin must save it again`);
  return parsed.data;
}

/** The secret never leaves the server: the record says only whether one is stored. */
function toRecord(row: ProfileRow): TProviderProfileRecord {
  const spec = profileSpec(row);
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    kind: spec.kind,
    spec,
    hasSecret: row.secret !== null,
    usedBy: row._count?.scalingRules ?? 0,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const withUse = { _count: { select: { scalingRules: true } } } as const;

/** Profiles are addressed by id or by name, like pools. */
export async function findProfileRow(db: Db, idOrName: string): Promise<ProviderProfile> {
  const row = await db.providerProfile.findFirst({ where: { OR: [{ id: idOrName }, { name: idOrName }] } });
  if (!row) throw AppError.field('provider.profile', `no provider profile ${idOrName}; an admin declares them under Settings → Provider profiles`, 'NOT_FOUND');
  return row;
}

export async function listProviderProfiles(prisma: PrismaClient): Promise<TProviderProfileRecord[]> {
  const rows = await prisma.providerProfile.findMany({ include: withUse, orderBy: { name: 'asc' } });
  return rows.map(toRecord);
}

export async function getProviderProfile(prisma: PrismaClient, idOrName: string): Promise<TProviderProfileRecord> {
  const row = await findProfileRow(prisma, idOrName);
  return toRecord(await prisma.providerProfile.findUniqueOrThrow({ where: { id: row.id }, include: withUse }));
}

export async function createProviderProfile(prisma: PrismaClient, input: TProviderProfileCreate): Promise<TProviderProfileRecord> {
  const row = await prisma.providerProfile.create({
    data: { name: input.name, description: input.description, kind: input.spec.kind, spec: input.spec as Prisma.InputJsonValue, secret: input.secret ?? null },
    include: withUse,
  });
  return toRecord(row);
}

/**
 * Replaces a profile. The rules that use it must still fit its parameters, or the change is
 * refused naming them: a rule never runs with values its profile does not allow.
 */
export async function updateProviderProfile(prisma: PrismaClient, input: TProviderProfileUpdate): Promise<TProviderProfileRecord> {
  return prisma.$transaction(async (tx) => {
    const current = await tx.providerProfile.findUnique({ where: { id: input.id } });
    if (!current) throw new AppError('NOT_FOUND', `no provider profile ${input.id}`);
    // The rows of the rules are locked so none is created against the old parameters meanwhile.
    await tx.$queryRaw`SELECT 1 FROM "ScalingRule" WHERE "profileId" = ${input.id} FOR UPDATE`;
    const rules = await tx.scalingRule.findMany({ where: { profileId: input.id }, include: { pool: { select: { name: true } } } });
    for (const rule of rules) {
      const { errors } = checkProfileParams(input.spec.parameters, (rule.params ?? {}) as Record<string, string>);
      const first = Object.values(errors)[0]?.[0];
      if (first) throw AppError.field('spec.parameters', `scaling rule ${rule.pool.name}/${rule.name} uses this profile and would no longer fit it: ${first}`);
    }
    const secret = input.secret === undefined ? current.secret : input.secret;
    const res = await tx.providerProfile.updateMany({
      where: { id: input.id, version: input.expectedVersion },
      data: { name: input.name, description: input.description, kind: input.spec.kind, spec: input.spec as Prisma.InputJsonValue, secret, version: { increment: 1 } },
    });
    if (res.count === 0) throw staleError('provider profile', current.version);
    return toRecord(await tx.providerProfile.findUniqueOrThrow({ where: { id: input.id }, include: withUse }));
  });
}

/** A profile in use cannot go: its rules would have nothing to run. */
export async function deleteProviderProfile(prisma: PrismaClient, { id, expectedVersion }: { id: string; expectedVersion: number }): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const current = await tx.providerProfile.findUnique({ where: { id } });
    if (!current) throw new AppError('NOT_FOUND', `no provider profile ${id}`);
    const users = await tx.scalingRule.findMany({ where: { profileId: id }, include: { pool: { select: { name: true } } }, take: 5 });
    if (users.length)
      throw new AppError('CONFLICT', `provider profile ${current.name} is used by scaling rule(s) ${users.map((r) => `${r.pool.name}/${r.name}`).join(', ')}; point them at another profile first`);
    const res = await tx.providerProfile.deleteMany({ where: { id, version: expectedVersion } });
    if (res.count === 0) throw staleError('provider profile', current.version);
  });
}
