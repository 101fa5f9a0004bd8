import type { PrismaClient } from '@fulcrum/db';

export type TChartMark =
  | { kind: 'revision'; ts: number; version: number; label: string }
  | { kind: 'health'; ts: number; backendId: string | null; state: 'healthy' | 'unhealthy' | 'ejected'; label: string };

/**
 * What changed on a pool over the last `seconds`, for marks on its charts: the config revisions
 * that touched it (each links to its diff) and its backends' health flips and ejections.
 */
export async function listChartMarks(prisma: PrismaClient, poolId: string, seconds: number): Promise<TChartMark[]> {
  const events = await prisma.event.findMany({
    where: { poolId, kind: { in: ['config_revision', 'health_flip', 'ejection'] }, createdAt: { gte: new Date(Date.now() - seconds * 1000) } },
    orderBy: { createdAt: 'asc' },
    take: 500,
  });
  const marks: TChartMark[] = [];
  for (const e of events) {
    const data = (e.data ?? {}) as { version?: unknown; state?: unknown };
    const ts = e.createdAt.getTime();
    if (e.kind === 'config_revision' && typeof data.version === 'number') marks.push({ kind: 'revision', ts, version: data.version, label: e.message });
    else if (e.kind === 'ejection') marks.push({ kind: 'health', ts, backendId: e.backendId, state: 'ejected', label: e.message });
    else if (e.kind === 'health_flip' && (data.state === 'healthy' || data.state === 'unhealthy')) marks.push({ kind: 'health', ts, backendId: e.backendId, state: data.state, label: e.message });
  }
  return marks;
}
