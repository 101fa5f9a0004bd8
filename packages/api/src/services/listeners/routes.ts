import { CATCH_ALL_MATCH, type TRoute, type TRouteAction, type TRouteCreate, type TRouteReorder, type TRouteUpdate, ZRouteConfig, applyPatch, flattenZodIssues } from '@fulcrum/protocol';
import type { Listener, Prisma, PrismaClient } from '@fulcrum/db';
import { AppError } from '../../errors';
import type { Actor } from '../../trpc';
import { staleError } from '../pools/pools';
import { commitChange } from '../revisions/commit-change';
import { findListenerRow, findRouteRow } from './find-listener';
import { routeColumns, toRoute } from './listener-mapper';
import { compileRouteRegex } from './route-regex';

type Tx = Prisma.TransactionClient;
type RouteConfig = Omit<TRouteCreate, 'listener' | 'reason'>;

/** A pool action may name its pool by name; the route stores the id. A missing pool is said by field. */
async function resolveAction(tx: Tx, action: TRouteAction): Promise<TRouteAction> {
  if (action.type !== 'pool') return action;
  const pool = await tx.pool.findFirst({ where: { OR: [{ id: action.poolId }, { name: action.poolId }] }, select: { id: true } });
  if (!pool) throw AppError.field('action.poolId', `no pool ${action.poolId}`);
  return { type: 'pool', poolId: pool.id };
}

/** What the database cannot check: a tcp listener's one catch-all route, a regex the data plane's engine refuses. */
async function refuseUnservable(tx: Tx, listener: Listener, route: RouteConfig, selfId?: string): Promise<void> {
  if (route.match.path.type === 'regex') {
    try {
      compileRouteRegex(route.match.path.value);
    } catch (err) {
      throw AppError.field('match.path.value', (err as Error).message);
    }
  }
  if (listener.protocol !== 'tcp') return;
  const httpOnly = JSON.stringify(route.match) !== JSON.stringify(CATCH_ALL_MATCH) || route.headers.request.length || route.headers.response.length || route.rewrite || route.rateLimit;
  if (httpOnly)
    throw AppError.field(
      'match',
      `listener ${listener.name} is tcp: it forwards connections, so a route cannot match on or change HTTP (host, path, methods, headers, query, header rules, rewrite, rate limit)`,
    );
  if (route.action.type !== 'pool') throw AppError.field('action.type', `listener ${listener.name} is tcp: its route sends to a pool`);
  const others = await tx.route.count({ where: { listenerId: listener.id, ...(selfId ? { id: { not: selfId } } : {}) } });
  if (others > 0) throw AppError.field('listener', `listener ${listener.name} is tcp and has its route already (a tcp listener has exactly one)`);
}

async function refuseNameTaken(tx: Tx, listenerId: string, name: string, selfId?: string): Promise<void> {
  const taken = await tx.route.findFirst({ where: { listenerId, name, ...(selfId ? { id: { not: selfId } } : {}) }, select: { id: true } });
  if (taken) throw AppError.field('name', `this listener already has a route named ${name}`);
}

export interface CreateRouteOptions {
  actor: Actor;
  input: Omit<TRouteCreate, 'reason'>;
  reason?: string;
}

export async function createRoute(prisma: PrismaClient, { actor, input: { listener: ref, ...config }, reason }: CreateRouteOptions): Promise<TRoute> {
  const listener = await findListenerRow(prisma, ref);
  const { result } = await commitChange(prisma, { actor, message: reason || `add route ${config.name} to listener ${listener.name}` }, async (tx) => {
    const route = { ...config, action: await resolveAction(tx, config.action) };
    await refuseNameTaken(tx, listener.id, route.name);
    await refuseUnservable(tx, listener, route);
    return tx.route.create({ data: { listenerId: listener.id, ...routeColumns(route) } });
  });
  return toRoute(result);
}

export interface UpdateRouteOptions {
  actor: Actor;
  update: Omit<TRouteUpdate, 'reason'>;
  reason?: string;
}

export async function updateRoute(prisma: PrismaClient, { actor, update, reason }: UpdateRouteOptions): Promise<TRoute> {
  const listener = await findListenerRow(prisma, update.listener);
  const existing = await findRouteRow(prisma, listener.id, update.id);
  const preview = applyPatch(ZRouteConfig, toRoute(existing), update.patch);
  if (preview.success && !preview.changed) {
    if (existing.version !== update.expectedVersion) throw staleError('route', existing.version);
    return toRoute(existing);
  }
  const changed = Object.keys(update.patch).join(', ') || 'nothing';
  const { result } = await commitChange(prisma, { actor, message: reason || `update route ${existing.name} on listener ${listener.name}: ${changed}` }, async (tx) => {
    const row = await findRouteRow(tx, listener.id, existing.id);
    const { id: _i, listenerId: _l, version: _v, createdAt: _c, updatedAt: _u, ...current } = toRoute(row);
    // A new action replaces the old one whole (a redirect has no poolId to keep).
    const merged = applyPatch(ZRouteConfig, update.patch.action ? { ...current, action: undefined } : current, update.patch);
    if (!merged.success) throw new AppError('BAD_REQUEST', 'invalid route', flattenZodIssues(merged.error.issues));
    const route = { ...merged.data, action: await resolveAction(tx, merged.data.action) };
    await refuseNameTaken(tx, listener.id, route.name, row.id);
    await refuseUnservable(tx, listener, route, row.id);
    const res = await tx.route.updateMany({ where: { id: row.id, version: update.expectedVersion }, data: { ...routeColumns(route), version: { increment: 1 } } });
    if (res.count === 0) throw staleError('route', row.version);
    return tx.route.findUniqueOrThrow({ where: { id: row.id } });
  });
  return toRoute(result);
}

export interface DeleteRouteOptions {
  actor: Actor;
  listener: string;
  id: string;
  expectedVersion: number;
  reason?: string;
}

export async function deleteRoute(prisma: PrismaClient, { actor, listener: ref, id, expectedVersion, reason }: DeleteRouteOptions): Promise<void> {
  const listener = await findListenerRow(prisma, ref);
  const row = await findRouteRow(prisma, listener.id, id);
  await commitChange(prisma, { actor, message: reason || `delete route ${row.name} from listener ${listener.name}` }, async (tx) => {
    const res = await tx.route.deleteMany({ where: { id: row.id, version: expectedVersion } });
    if (res.count === 0) {
      const still = await tx.route.findUnique({ where: { id: row.id } });
      if (!still) throw new AppError('NOT_FOUND', `no route ${id}`);
      throw staleError('route', still.version);
    }
  });
}

export interface ReorderRoutesOptions {
  actor: Actor;
  input: Omit<TRouteReorder, 'reason'>;
  reason?: string;
}

/** New priorities for several routes at once: one revision, so traffic never sees half an order. */
export async function reorderRoutes(prisma: PrismaClient, { actor, input, reason }: ReorderRoutesOptions): Promise<TRoute[]> {
  const listener = await findListenerRow(prisma, input.listener);
  const names = input.priorities.map((p) => `${p.id}=${p.priority}`).join(', ');
  const { result } = await commitChange(prisma, { actor, message: reason || `reorder routes on listener ${listener.name}: ${names}`.slice(0, 500) }, async (tx) => {
    const seen = new Set<string>();
    for (const [i, p] of input.priorities.entries()) {
      const row = await findRouteRow(tx, listener.id, p.id);
      if (seen.has(row.id)) throw AppError.field(`priorities.${i}.id`, `route ${p.id} is named twice`);
      seen.add(row.id);
      await tx.route.update({ where: { id: row.id }, data: { priority: p.priority, version: { increment: 1 } } });
    }
    return tx.route.findMany({ where: { listenerId: listener.id }, orderBy: { name: 'asc' } });
  });
  return result.map(toRoute);
}
