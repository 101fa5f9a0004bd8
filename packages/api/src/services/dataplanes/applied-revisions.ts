import type { PrismaClient } from '@fulcrum/db';
import { type RefusalView, listRefusals } from './apply-results';
import { STALE_AFTER_MS } from './list-dataplanes';

export interface AppliedRevision {
  version: number;
  createdAt: string;
  /** Connected data planes that applied this version (or a newer one) and did not refuse it. */
  appliedBy: string[];
  /** Connected data planes running exactly this version now. */
  running: string[];
  /** Connected data planes still behind it, that have not refused it. */
  pending: string[];
  /** Data planes that refused it, with the reason: a newer version applied later never hides this. */
  refused: RefusalView[];
  /** Every connected data plane applied it and none refused it (vacuously true when none is connected). */
  fullyApplied: boolean;
}

/** For the newest revisions, which data planes run each, which are pending and which refused it and why. */
export async function listAppliedRevisions(prisma: PrismaClient, limit: number): Promise<AppliedRevision[]> {
  const [revisions, dataplanes] = await Promise.all([
    prisma.configRevision.findMany({ orderBy: { version: 'desc' }, take: limit, select: { version: true, createdAt: true } }),
    prisma.dataplane.findMany({ where: { connected: true, lastSeenAt: { gte: new Date(Date.now() - STALE_AFTER_MS) } }, select: { name: true, appliedConfigVersion: true } }),
  ]);
  const refusals = await listRefusals(
    prisma,
    revisions.map((r) => r.version),
  );
  return revisions.map((r) => {
    const refused = refusals.filter((x) => x.version === r.version);
    const refusedBy = new Set(refused.map((x) => x.dataplane));
    const live = dataplanes.filter((d) => !refusedBy.has(d.name));
    const appliedBy = live.filter((d) => (d.appliedConfigVersion ?? -1) >= r.version).map((d) => d.name);
    const pending = live.filter((d) => (d.appliedConfigVersion ?? -1) < r.version).map((d) => d.name);
    const running = live.filter((d) => d.appliedConfigVersion === r.version).map((d) => d.name);
    return { version: r.version, createdAt: r.createdAt.toISOString(), appliedBy, running, pending, refused, fullyApplied: pending.length === 0 && refused.length === 0 };
  });
}
