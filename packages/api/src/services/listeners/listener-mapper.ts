import {
  CATCH_ALL_MATCH,
  type TListener,
  type TListenerConfig,
  type TPoolConfig,
  type TRoute,
  type TRouteConfig,
  type TSnapshotListener,
  type TSnapshotRoute,
  ZListenerFields,
  ZRouteFields,
} from '@fulcrum/protocol';
import { type Listener, Prisma, type Route } from '@fulcrum/db';

/** A listener row as the API shows it; JSON columns are re-read through the shared schema. */
export function toListener(row: Listener): TListener {
  const config = ZListenerFields.parse({ name: row.name, address: row.address, port: row.port, protocol: row.protocol, http: row.http, idleMs: row.idleMs, tls: row.tls ?? undefined });
  return { ...config, id: row.id, poolId: row.poolId, version: row.version, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

export function listenerColumns(config: TListenerConfig) {
  return {
    name: config.name,
    address: config.address,
    port: config.port,
    protocol: config.protocol,
    http: config.http,
    idleMs: config.idleMs,
    tls: config.tls ?? Prisma.DbNull,
  };
}

/** The columns a route is stored in; a pool action's target is repeated in poolId (the foreign key). */
export function routeColumns(config: TRouteConfig) {
  return {
    name: config.name,
    priority: config.priority,
    match: config.match,
    action: config.action,
    poolId: config.action.type === 'pool' ? config.action.poolId : null,
    headers: config.headers,
    rewrite: config.rewrite ?? Prisma.DbNull,
    rateLimit: config.rateLimit ?? Prisma.DbNull,
    timeouts: config.timeouts ?? Prisma.DbNull,
  };
}

/**
 * The listener a pool made with a port in one step: named after the pool, on its address and
 * port, reading request heads by the pool's http settings, with one catch-all route to it. Ids
 * are the pool's, as the migration from pool-owned ports and the schema-1 snapshot upgrade give.
 */
export function ownListenerOf(poolId: string, pool: TPoolConfig & { listenPort: number }): { listener: TListenerConfig; route: TRouteConfig } {
  const { headTimeoutMs, maxHeadBytes, maxHeaders, trustedProxies } = pool.http;
  return {
    listener: {
      name: pool.name,
      address: pool.listenHost ?? '0.0.0.0',
      port: pool.listenPort,
      protocol: pool.protocol,
      http: { headTimeoutMs, maxHeadBytes, maxHeaders, trustedProxies },
      idleMs: pool.timeouts.idleMs,
    },
    route: { name: pool.name, priority: 0, match: CATCH_ALL_MATCH, action: { type: 'pool', poolId }, headers: { request: [], response: [] } },
  };
}

export function toRoute(row: Route): TRoute {
  const config = ZRouteFields.parse({
    name: row.name,
    priority: row.priority,
    match: row.match,
    action: row.action,
    headers: row.headers,
    rewrite: row.rewrite ?? undefined,
    rateLimit: row.rateLimit ?? undefined,
    timeouts: row.timeouts ?? undefined,
  });
  return { ...config, id: row.id, listenerId: row.listenerId, version: row.version, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

/** A route as snapshots carry it. */
export function toSnapshotRoute(route: TRoute): TSnapshotRoute {
  const { listenerId: _l, version: _v, createdAt: _c, updatedAt: _u, ...rest } = route;
  return rest;
}

export function toSnapshotListener(listener: TListener, routes: TRoute[]): TSnapshotListener {
  const { poolId: _p, version: _v, createdAt: _c, updatedAt: _u, ...rest } = listener;
  return { ...rest, routes: routes.map(toSnapshotRoute) };
}
