import type { Prisma, PrismaClient } from '@fulcrum/db';
import { recordEvent } from '../events/events';
import { poolsChangedBy } from '../revisions/pools-changed';

/** A data plane's answer to one revision. `partial`: applied except for `refusedPools`. */
export type TApplyState = 'applied' | 'refused' | 'partial';

export interface ApplyResult {
  dataplaneId: string;
  dataplaneName: string;
  version: number;
  state: TApplyState;
  error?: string | null;
  /** For a partial apply: the pools it could not apply, each with its reason. */
  refusedPools?: { poolId: string; error: string }[];
}

/**
 * Records what a data plane did with a revision, once per data plane and version (a later answer
 * for the same version replaces it). A refusal is also an event of every pool it concerns: the
 * pools it names, or else the pools that revision changed, so the pool's own timeline shows it.
 */
export async function recordApplyResult(prisma: PrismaClient, r: ApplyResult): Promise<void> {
  const data = { state: r.state, error: r.error ?? null, refusedPools: (r.refusedPools ?? null) as Prisma.InputJsonValue | null, at: new Date() };
  await prisma.revisionApply.upsert({
    where: { dataplaneId_version: { dataplaneId: r.dataplaneId, version: r.version } },
    create: { dataplaneId: r.dataplaneId, version: r.version, ...data, refusedPools: data.refusedPools ?? undefined },
    update: { ...data, refusedPools: data.refusedPools ?? undefined },
  });
  if (r.state === 'applied') return;
  const reasons = r.refusedPools?.length ? r.refusedPools : (await poolsChangedBy(prisma, r.version)).map((poolId) => ({ poolId, error: r.error ?? 'refused' }));
  const known = new Set((await prisma.pool.findMany({ where: { id: { in: reasons.map((x) => x.poolId) } }, select: { id: true } })).map((p) => p.id));
  const forPools = reasons.filter((x) => known.has(x.poolId));
  // What no pool stands for (a listener that sends to no pool, or a refusal of the whole
  // snapshot) is still an event, with its own reasons: a listener's bind failure keeps its name.
  const rest = reasons.filter((x) => !known.has(x.poolId));
  if (forPools.length === 0 || (rest.length && r.refusedPools?.length)) {
    const why = r.refusedPools?.length ? rest.map((x) => x.error).join('; ') : (r.error ?? 'refused');
    await recordEvent(prisma, {
      kind: 'snapshot_refused',
      severity: 'error',
      dataplaneId: r.dataplaneId,
      message: `data plane ${r.dataplaneName} refused revision ${r.version}: ${why}`.slice(0, 2000),
      data: { version: r.version },
    });
  }
  for (const x of forPools) {
    await recordEvent(prisma, {
      kind: 'snapshot_refused',
      severity: 'error',
      poolId: x.poolId,
      dataplaneId: r.dataplaneId,
      message: `data plane ${r.dataplaneName} refused revision ${r.version}: ${x.error}`,
      data: { version: r.version },
    });
  }
}

export interface RefusalView {
  dataplane: string;
  version: number;
  error: string;
  at: string;
}

/** Refusals of the given versions, with the data planes' names; a partial refusal is named per pool when `poolId` is given. */
export async function listRefusals(prisma: PrismaClient, versions: number[], poolId?: string): Promise<RefusalView[]> {
  if (versions.length === 0) return [];
  const rows = await prisma.revisionApply.findMany({ where: { version: { in: versions }, state: { in: ['refused', 'partial'] } }, orderBy: { at: 'desc' } });
  const names = new Map((await prisma.dataplane.findMany({ where: { id: { in: rows.map((r) => r.dataplaneId) } }, select: { id: true, name: true } })).map((d) => [d.id, d.name]));
  const out: RefusalView[] = [];
  for (const r of rows) {
    const pools = Array.isArray(r.refusedPools) ? (r.refusedPools as { poolId?: string; error?: string }[]) : [];
    if (r.state === 'partial' && poolId && !pools.some((p) => p.poolId === poolId)) continue;
    const error = (r.state === 'partial' && poolId ? pools.find((p) => p.poolId === poolId)?.error : undefined) ?? r.error ?? pools.map((p) => p.error).join('; ') ?? 'refused';
    out.push({ dataplane: names.get(r.dataplaneId) ?? r.dataplaneId, version: r.version, error, at: r.at.toISOString() });
  }
  return out;
}
