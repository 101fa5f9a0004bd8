import type { TEventKind } from '@fulcrum/protocol';
import type { Prisma, PrismaClient } from '@fulcrum/db';

export interface EventRecord {
  id: string;
  kind: string;
  severity: string;
  poolId: string | null;
  backendId: string | null;
  dataplaneId: string | null;
  message: string;
  data: unknown;
  createdAt: string;
}

export async function listEvents(prisma: PrismaClient, opts: { poolId?: string; kind?: TEventKind; limit: number; before?: string }): Promise<EventRecord[]> {
  const rows = await prisma.event.findMany({
    where: { poolId: opts.poolId, kind: opts.kind, createdAt: opts.before ? { lt: new Date(opts.before) } : undefined },
    orderBy: { createdAt: 'desc' },
    take: opts.limit,
  });
  return rows.map((e) => ({ ...e, data: e.data ?? null, createdAt: e.createdAt.toISOString() }));
}

export interface RecordEventOptions {
  kind: TEventKind;
  severity?: 'info' | 'warning' | 'error';
  poolId?: string | null;
  backendId?: string | null;
  dataplaneId?: string | null;
  message: string;
  data?: Prisma.InputJsonValue;
}

export async function recordEvent(db: Pick<PrismaClient, 'event'>, opts: RecordEventOptions): Promise<void> {
  await db.event.create({ data: { ...opts, severity: opts.severity ?? 'info' } });
}
