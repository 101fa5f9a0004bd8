import type { PrismaClient } from '@fulcrum/db';
import { type TRefusedPool, ZRefusedPool } from '@fulcrum/protocol';

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
  /** Pools of its applied version that did not take it (a held port): kept at their previous config or down. */
  refusedPools: TRefusedPool[];
}

/**
 * A row says connected until its control plane records the leave; a control plane that was
 * killed never does. Stats frames refresh lastSeenAt every few seconds, so a connected row
 * not seen for this long belongs to a replica that died.
 */
export const STALE_AFTER_MS = 30_000;

export function isLive(d: { connected: boolean; lastSeenAt: Date }, now = Date.now()): boolean {
  return d.connected && now - d.lastSeenAt.getTime() < STALE_AFTER_MS;
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
    connected: isLive(d),
    lastSeenAt: d.lastSeenAt.toISOString(),
    appliedConfigVersion: d.appliedConfigVersion,
    lag: d.appliedConfigVersion === null ? null : Math.max(0, (latest?.version ?? 0) - d.appliedConfigVersion),
    lastError: d.lastError,
    refusedPools:
      d.refusedConfigVersion !== null && d.refusedConfigVersion === d.appliedConfigVersion
        ? ZRefusedPool.array()
            .catch([])
            .parse(d.refusedPools ?? [])
        : [],
  }));
}
