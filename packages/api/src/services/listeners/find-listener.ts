import type { Prisma, PrismaClient } from '@fulcrum/db';
import { AppError } from '../../errors';

type Db = PrismaClient | Prisma.TransactionClient;

/** Listeners are addressed by id or by name (CI scripts know names). */
export async function findListenerRow(db: Db, idOrName: string) {
  const row = await db.listener.findFirst({ where: { OR: [{ id: idOrName }, { name: idOrName }] } });
  if (!row) throw new AppError('NOT_FOUND', `no listener ${idOrName}`);
  return row;
}

/** A route of a listener, by id or name. */
export async function findRouteRow(db: Db, listenerId: string, idOrName: string) {
  const row = await db.route.findFirst({ where: { listenerId, OR: [{ id: idOrName }, { name: idOrName }] } });
  if (!row) throw new AppError('NOT_FOUND', `no route ${idOrName} on this listener`);
  return row;
}
