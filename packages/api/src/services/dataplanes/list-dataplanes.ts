import type { PrismaClient } from '@fulcrum/db';

export interface DataplaneSummary {
  id: string;
  name: string;
  softwareVersion: string;
  connected: boolean;
  lastSeenAt: string;
  appliedConfigVersion: number | null;
  /** Revisions behind the newest one; null when it has applied none. */
  lag: number | null;
  lastError: string | null;
}

export async function listDataplanes(prisma: PrismaClient): Promise<DataplaneSummary[]> {
  const [rows, latest] = await Promise.all([
    prisma.dataplane.findMany({ orderBy: [{ connected: 'desc' }, { lastSeenAt: 'desc' }] }),
    prisma.configRevision.findFirst({ orderBy: { version: 'desc' }, select: { version: true } }),
  ]);
  return rows.map((d) => ({
    id: d.id,
    name: d.name,
    softwareVersion: d.softwareVersion,
    connected: d.connected,
    lastSeenAt: d.lastSeenAt.toISOString(),
    appliedConfigVersion: d.appliedConfigVersion,
    lag: d.appliedConfigVersion === null ? null : Math.max(0, (latest?.version ?? 0) - d.appliedConfigVersion),
    lastError: d.lastError,
  }));
}
