import type { Prisma } from '@fulcrum/db';
import type { TPoolConfig } from '@fulcrum/protocol';
import { AppError } from '../../errors';
import { listenerColumns, ownListenerOf, routeColumns } from '../listeners/listener-mapper';

type Tx = Prisma.TransactionClient;

/**
 * A pool with a port, in one step: its own listener (named after it, on its address and port,
 * with its head limits and idle timeout) follows the pool's config; the first time it is made
 * with one catch-all route to the pool. Routes an operator added to it since are left alone.
 */
export async function syncOwnListener(tx: Tx, poolId: string, config: TPoolConfig): Promise<void> {
  if (config.listenPort === undefined) return;
  const { listener, route } = ownListenerOf(poolId, { ...config, listenPort: config.listenPort });
  const portTaken = await tx.listener.findFirst({ where: { port: listener.port, OR: [{ poolId: null }, { poolId: { not: poolId } }] }, select: { name: true } });
  if (portTaken) throw AppError.field('listenPort', `port ${listener.port} is already used by listener ${portTaken.name}`);
  const nameTaken = await tx.listener.findFirst({ where: { name: listener.name, OR: [{ poolId: null }, { poolId: { not: poolId } }] }, select: { id: true } });
  if (nameTaken)
    throw AppError.field('name', `a listener named ${listener.name} exists; a pool with a port gets a listener of its own name (choose another name, or route to the pool from that listener)`);
  const { tls: _tls, ...columns } = listenerColumns(listener);
  const existing = await tx.listener.findUnique({ where: { poolId }, select: { id: true } });
  if (existing) {
    await tx.listener.update({ where: { id: existing.id }, data: { ...columns, version: { increment: 1 } } });
    return;
  }
  // The pool's id, as the migration gives its listener, unless a listener holds it already.
  const idFree = !(await tx.listener.findUnique({ where: { id: poolId }, select: { id: true } }));
  const made = await tx.listener.create({ data: { ...(idFree ? { id: poolId } : {}), ...columns, poolId } });
  const routeIdFree = !(await tx.route.findUnique({ where: { id: poolId }, select: { id: true } }));
  await tx.route.create({ data: { ...(routeIdFree ? { id: poolId } : {}), listenerId: made.id, ...routeColumns(route) } });
}

/** A pool that routes of other listeners send to cannot go (its own listener goes with it). */
export async function refuseIfRoutedTo(tx: Tx, poolId: string, poolName: string): Promise<void> {
  const used = await tx.route.findFirst({ where: { poolId, listener: { OR: [{ poolId: null }, { poolId: { not: poolId } }] } }, select: { name: true, listener: { select: { name: true } } } });
  if (used) throw new AppError('CONFLICT', `pool ${poolName} is used by route ${used.name} on listener ${used.listener.name}; change or delete that route first`);
}
