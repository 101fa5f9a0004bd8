import {
  CATCH_ALL_MATCH,
  RouteTable,
  type TListener,
  type TListenerCreate,
  type TListenerListItem,
  type TListenerUpdate,
  type TListenerWithRoutes,
  type TRoute,
  ZListenerConfig,
  applyPatch,
  flattenZodIssues,
} from '@fulcrum/protocol';
import type { Prisma, PrismaClient } from '@fulcrum/db';
import { AppError } from '../../errors';
import type { Actor } from '../../trpc';
import { staleError } from '../pools/pools';
import { commitChange } from '../revisions/commit-change';
import { findListenerRow } from './find-listener';
import { listenerColumns, routeColumns, toListener, toRoute, toSnapshotRoute } from './listener-mapper';
import { compileRouteRegexOrNever } from './route-regex';

type Tx = Prisma.TransactionClient;

export async function listListeners(prisma: PrismaClient): Promise<TListenerListItem[]> {
  const rows = await prisma.listener.findMany({ orderBy: [{ port: 'asc' }], include: { _count: { select: { routes: true } } } });
  return rows.map((r) => ({ ...toListener(r), routeCount: r._count.routes }));
}

/** Routes in the data plane's match order (route-table.ts), and every place of that order. */
export function routeOrder(routes: TRoute[]): Pick<TListenerWithRoutes, 'routes' | 'order'> {
  const byId = new Map(routes.map((r) => [r.id, r]));
  const table = new RouteTable(routes.map(toSnapshotRoute), compileRouteRegexOrNever);
  const order = table.ordered.map((e) => ({ routeId: e.route.id, route: e.route.name, host: e.exactHost ?? (e.suffix === undefined ? null : `*.${e.suffix}`) }));
  const seen = new Set<string>();
  const ordered = order.filter((o) => (seen.has(o.routeId) ? false : (seen.add(o.routeId), true))).map((o) => byId.get(o.routeId)!);
  return { routes: ordered, order };
}

export async function getListener(prisma: PrismaClient, idOrName: string): Promise<TListenerWithRoutes> {
  const row = await findListenerRow(prisma, idOrName);
  const routes = await prisma.route.findMany({ where: { listenerId: row.id }, orderBy: { name: 'asc' } });
  return { ...toListener(row), ...routeOrder(routes.map(toRoute)) };
}

/** Port and name are the listener's alone (0.0.0.0 takes a port on every address): said by field, before the database's constraint would. */
async function refuseTaken(tx: Tx, config: { name: string; port: number }, self?: string): Promise<void> {
  const port = await tx.listener.findFirst({ where: { port: config.port, ...(self ? { id: { not: self } } : {}) }, select: { name: true } });
  if (port) throw AppError.field('port', `port ${config.port} is already used by listener ${port.name}`);
  const name = await tx.listener.findFirst({ where: { name: config.name, ...(self ? { id: { not: self } } : {}) }, select: { id: true } });
  if (name) throw AppError.field('name', `a listener named ${config.name} already exists`);
}

/** A tcp listener forwards connections, not requests: it takes one catch-all route to a pool. */
async function refuseTcpWithHttpRoutes(tx: Tx, listenerId: string, name: string): Promise<void> {
  const routes = await tx.route.findMany({ where: { listenerId }, select: { name: true, action: true, match: true } });
  const catchAll = (m: unknown) => JSON.stringify(m) === JSON.stringify(CATCH_ALL_MATCH);
  const bad = routes.find((r) => !catchAll(r.match) || (r.action as { type?: string }).type !== 'pool');
  if (routes.length > 1 || bad) throw AppError.field('protocol', `listener ${name} has HTTP routes (${(bad ?? routes[1]!).name}); a tcp listener takes one catch-all route to a pool`);
}

export interface CreateListenerOptions {
  actor: Actor;
  config: Omit<TListenerCreate, 'reason'>;
  reason?: string;
}

export async function createListener(prisma: PrismaClient, { actor, config: { pool, ...config }, reason }: CreateListenerOptions): Promise<TListener> {
  const to = pool === undefined ? '' : ` to pool ${pool}`;
  const { result } = await commitChange(prisma, { actor, message: reason || `create listener ${config.name} on port ${config.port}${to}` }, async (tx) => {
    await refuseTaken(tx, config);
    const row = await tx.listener.create({ data: listenerColumns(config) });
    if (pool !== undefined) {
      const target = await tx.pool.findFirst({ where: { OR: [{ id: pool }, { name: pool }] }, select: { id: true, name: true } });
      if (!target) throw AppError.field('pool', `no pool ${pool}`);
      await tx.route.create({
        data: { listenerId: row.id, ...routeColumns({ name: target.name, priority: 0, match: CATCH_ALL_MATCH, action: { type: 'pool', poolId: target.id }, headers: { request: [], response: [] } }) },
      });
    }
    return row;
  });
  return toListener(result);
}

export interface UpdateListenerOptions {
  actor: Actor;
  update: Omit<TListenerUpdate, 'reason'>;
  reason?: string;
}

export async function updateListener(prisma: PrismaClient, { actor, update, reason }: UpdateListenerOptions): Promise<TListener> {
  const existing = await findListenerRow(prisma, update.id);
  const preview = applyPatch(ZListenerConfig, toListener(existing), update.patch);
  if (preview.success && !preview.changed) {
    if (existing.version !== update.expectedVersion) throw staleError('listener', existing.version);
    return toListener(existing);
  }
  const changed = Object.keys(update.patch).join(', ') || 'nothing';
  const { result } = await commitChange(prisma, { actor, message: reason || `update listener ${existing.name}: ${changed}` }, async (tx) => {
    const row = await findListenerRow(tx, existing.id);
    const merged = applyPatch(ZListenerConfig, toListener(row), update.patch);
    if (!merged.success) throw new AppError('BAD_REQUEST', 'invalid listener configuration', flattenZodIssues(merged.error.issues));
    await refuseTaken(tx, merged.data, row.id);
    if (merged.data.protocol === 'tcp') await refuseTcpWithHttpRoutes(tx, row.id, row.name);
    const res = await tx.listener.updateMany({ where: { id: row.id, version: update.expectedVersion }, data: { ...listenerColumns(merged.data), version: { increment: 1 } } });
    if (res.count === 0) throw staleError('listener', row.version);
    return tx.listener.findUniqueOrThrow({ where: { id: row.id } });
  });
  return toListener(result);
}

export interface DeleteListenerOptions {
  actor: Actor;
  id: string;
  expectedVersion: number;
  reason?: string;
}

/** Its routes go with it; the pools they sent to stay. */
export async function deleteListener(prisma: PrismaClient, { actor, id, expectedVersion, reason }: DeleteListenerOptions): Promise<void> {
  const row = await findListenerRow(prisma, id);
  await commitChange(prisma, { actor, message: reason || `delete listener ${row.name} (port ${row.port})` }, async (tx) => {
    const res = await tx.listener.deleteMany({ where: { id: row.id, version: expectedVersion } });
    if (res.count === 0) {
      const still = await tx.listener.findUnique({ where: { id: row.id } });
      if (!still) throw new AppError('NOT_FOUND', `no listener ${id}`);
      throw staleError('listener', still.version);
    }
  });
}
