import type { Prisma, PrismaClient } from '@fulcrum/db';
import { AppError } from '../../errors';
import { POOL_INCLUDE } from './pool-mapper';

type Db = PrismaClient | Prisma.TransactionClient;

/** Pools are addressed by id or by name (CI scripts know names). */
export async function findPoolRow(db: Db, idOrName: string) {
  const row = await db.pool.findFirst({ where: { OR: [{ id: idOrName }, { name: idOrName }] }, include: POOL_INCLUDE });
  if (!row) throw new AppError('NOT_FOUND', `no pool ${idOrName}`);
  return row;
}
