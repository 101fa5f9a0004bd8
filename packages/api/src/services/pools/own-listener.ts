import type { Prisma } from '@fulcrum/db';
import type { TListenerConfig, TPoolConfig } from '@fulcrum/protocol';
import { AppError } from '../../errors';
import { listenerColumns, ownListenerOf, routeColumns } from '../listeners/listener-mapper';
import { canonicalJson } from '../revisions/link-hash';

type Tx = Prisma.TransactionClient;

/**
 * A pool with a port, in one step: its own listener (named after it, on its address and port,
 * with its head limits and idle timeout) is made from the pool's config the first time, with one
 * catch-all route to the pool. After that a pool update (`before` → `config`) writes only the
 * listener fields the update changed: what an operator set on the listener itself (its head
 * limits, idle timeout, TLS, routes) stays as they set it.
 */
export async function syncOwnListener(tx: Tx, poolId: string, config: TPoolConfig, before?: TPoolConfig): Promise<void> {
  if (config.listenPort === undefined) return;
  const { listener, route } = ownListenerOf(poolId, { ...config, listenPort: config.listenPort });
  const portTaken = await tx.listener.findFirst({ where: { port: listener.port, OR: [{ poolId: null }, { poolId: { not: poolId } }] }, select: { name: true } });
  if (portTaken) throw AppError.field('listenPort', `port ${listener.port} is already used by listener ${portTaken.name}`);
  const nameTaken = await tx.listener.findFirst({ where: { name: listener.name, OR: [{ poolId: null }, { poolId: { not: poolId } }] }, select: { id: true } });
  if (nameTaken)
    throw AppError.field('name', `a listener named ${listener.name} exists; a pool with a port gets a listener of its own name (choose another name, or route to the pool from that listener)`);
  const { tls: _tls, ...columns } = listenerColumns(listener);
  const existing = await tx.listener.findUnique({ where: { poolId }, select: { id: true, http: true } });
  if (existing) {
    const data = before?.listenPort === undefined ? columns : changedColumns(ownListenerOf(poolId, { ...before, listenPort: before.listenPort }).listener, listener, existing.http);
    if (Object.keys(data).length) await tx.listener.update({ where: { id: existing.id }, data: { ...data, version: { increment: 1 } } });
    return;
  }
  // The pool's id, as the migration gives its listener, unless a listener holds it already.
  const idFree = !(await tx.listener.findUnique({ where: { id: poolId }, select: { id: true } }));
  const made = await tx.listener.create({ data: { ...(idFree ? { id: poolId } : {}), ...columns, poolId } });
  const routeIdFree = !(await tx.route.findUnique({ where: { id: poolId }, select: { id: true } }));
  await tx.route.create({ data: { ...(routeIdFree ? { id: poolId } : {}), listenerId: made.id, ...routeColumns(route) } });
}

/** The listener columns whose pool-derived value differs between two configs; head limits key by key over what the listener holds. */
function changedColumns(was: TListenerConfig, now: TListenerConfig, storedHttp: Prisma.JsonValue): Partial<Omit<ReturnType<typeof listenerColumns>, 'tls'>> {
  const out: Partial<Omit<ReturnType<typeof listenerColumns>, 'tls'>> = {};
  if (was.name !== now.name) out.name = now.name;
  if (was.address !== now.address) out.address = now.address;
  if (was.port !== now.port) out.port = now.port;
  if (was.protocol !== now.protocol) out.protocol = now.protocol;
  if (was.idleMs !== now.idleMs) out.idleMs = now.idleMs;
  const wasHttp = (was.http ?? {}) as Record<string, unknown>;
  const nowHttp = (now.http ?? {}) as Record<string, unknown>;
  const changed = Object.keys(nowHttp).filter((k) => canonicalJson(wasHttp[k]) !== canonicalJson(nowHttp[k]));
  if (changed.length) {
    const held = storedHttp && typeof storedHttp === 'object' && !Array.isArray(storedHttp) ? storedHttp : {};
    out.http = { ...held, ...Object.fromEntries(changed.map((k) => [k, nowHttp[k]])) } as TListenerConfig['http'];
  }
  return out;
}

/** A pool that routes of other listeners send to cannot go (its own listener goes with it). */
export async function refuseIfRoutedTo(tx: Tx, poolId: string, poolName: string): Promise<void> {
  const used = await tx.route.findFirst({ where: { poolId, listener: { OR: [{ poolId: null }, { poolId: { not: poolId } }] } }, select: { name: true, listener: { select: { name: true } } } });
  if (used) throw new AppError('CONFLICT', `pool ${poolName} is used by route ${used.name} on listener ${used.listener.name}; change or delete that route first`);
}
