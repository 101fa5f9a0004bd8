import type { PrismaClient } from '@fulcrum/db';

const DAY_MS = 24 * 3_600_000;
/** Rows deleted per statement: a large backlog goes in short transactions, not one long lock. */
const BATCH = 5_000;

/** What the control plane keeps of the data that grows; the rest is pruned. */
export interface TRetentionSettings {
  /** The newest revisions kept (a revision a data plane still runs is kept too). */
  revisions: number;
  eventsDays: number;
  /** The 10 s stats rollups (backends and pools). */
  statsDays: number;
  /** A session unused this long has ended (the sign-in check ends it too; this removes the row). */
  sessionIdleMs: number;
}

export interface TPruneCounts {
  revisions: number;
  revisionApplies: number;
  events: number;
  sessions: number;
  statsRollups: number;
  poolStatsRollups: number;
}

/**
 * Deletes what `select` finds, a batch at a time, until it finds less than a batch: a large
 * backlog goes in short statements rather than one long transaction holding its locks.
 */
async function inBatches<K>(select: (take: number) => Promise<{ id: K }[]>, remove: (ids: K[]) => Promise<{ count: number }>): Promise<number> {
  let total = 0;
  for (;;) {
    const ids = (await select(BATCH)).map((r) => r.id);
    if (ids.length) total += (await remove(ids)).count;
    if (ids.length < BATCH) return total;
  }
}

/**
 * One pass of retention at `now` (the clock is the caller's, so tests are exact): old events,
 * stats rollups, ended sessions, and revisions beyond the newest
 * `revisions` with the data planes' answers to them. The newest revision is never deleted (the
 * next version is numbered from it), nor any revision a data plane reports running. (Expired
 * sign-in throttles are cleared by their rate limiter's own timer.)
 */
export async function pruneOldRows(prisma: PrismaClient, settings: TRetentionSettings, now: Date): Promise<TPruneCounts> {
  const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const keepFrom = await prisma.configRevision.findFirst({ orderBy: { version: 'desc' }, skip: Math.max(1, settings.revisions) - 1, select: { version: true } });
  let revisions = 0;
  let revisionApplies = 0;
  if (keepFrom) {
    const running = (await prisma.dataplane.findMany({ where: { appliedConfigVersion: { not: null } }, select: { appliedConfigVersion: true } })).map((d) => d.appliedConfigVersion!);
    const old = { version: { lt: keepFrom.version, notIn: running } };
    revisions = await inBatches(
      (take) => prisma.configRevision.findMany({ where: old, select: { id: true }, take }),
      (ids) => prisma.configRevision.deleteMany({ where: { id: { in: ids } } }),
    );
    revisionApplies = (await prisma.revisionApply.deleteMany({ where: old })).count;
  }
  const events = await inBatches(
    (take) => prisma.event.findMany({ where: { createdAt: { lt: before(settings.eventsDays) } }, select: { id: true }, take }),
    (ids) => prisma.event.deleteMany({ where: { id: { in: ids } } }),
  );
  const statsRollups = await inBatches(
    (take) => prisma.statsRollup.findMany({ where: { bucket: { lt: before(settings.statsDays) } }, select: { id: true }, take }),
    (ids) => prisma.statsRollup.deleteMany({ where: { id: { in: ids } } }),
  );
  const poolStatsRollups = await inBatches(
    (take) => prisma.poolStatsRollup.findMany({ where: { bucket: { lt: before(settings.statsDays) } }, select: { id: true }, take }),
    (ids) => prisma.poolStatsRollup.deleteMany({ where: { id: { in: ids } } }),
  );
  const idleSince = new Date(now.getTime() - settings.sessionIdleMs);
  const sessions = (await prisma.session.deleteMany({ where: { OR: [{ expiresAt: { lt: now } }, { lastSeenAt: { lt: idleSince } }] } })).count;
  return { revisions, revisionApplies, events, sessions, statsRollups, poolStatsRollups };
}
