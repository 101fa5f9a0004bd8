import { type TBackend, type TPool, type TPoolConfig, ZPoolConfig } from '@fulcrum/protocol';
import type { Backend, Listener, Pool } from '@fulcrum/db';

/** Read a pool with this, so that its listen address (its own listener's) comes along. */
export const POOL_INCLUDE = { ownListener: { select: { address: true, port: true } } } as const;
/** Without ownListener (callers that need only the balancing settings) the listen address is absent. */
export type PoolRow = Pool & { ownListener?: Pick<Listener, 'address' | 'port'> | null };

/** A pool row as the API shows it; JSON columns are re-read through the shared schema. */
export function toPool(row: PoolRow): TPool {
  const config = ZPoolConfig.parse({
    name: row.name,
    protocol: row.protocol,
    listenHost: row.ownListener?.address,
    listenPort: row.ownListener?.port,
    algorithm: row.algorithm,
    hashKey: row.hashKey,
    healthCheck: row.healthCheck,
    outlierDetection: row.outlierDetection,
    timeouts: row.timeouts,
    retries: row.retries,
    stickiness: row.stickiness,
    http: row.http,
    accessLog: row.accessLog,
    slowStartMs: row.slowStartMs,
    responseTimeAlpha: row.responseTimeAlpha,
    drainTimeoutMs: row.drainTimeoutMs,
  });
  return { ...config, id: row.id, version: row.version, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

/** The columns a full pool config is stored in (its listen address belongs to its own listener: see ownListenerOf). */
export function poolColumns(config: Omit<TPoolConfig, 'listenHost' | 'listenPort'>) {
  return {
    name: config.name,
    protocol: config.protocol,
    algorithm: config.algorithm,
    hashKey: config.hashKey,
    healthCheck: config.healthCheck,
    outlierDetection: config.outlierDetection,
    timeouts: config.timeouts,
    retries: config.retries,
    stickiness: config.stickiness,
    http: config.http,
    accessLog: config.accessLog,
    slowStartMs: config.slowStartMs,
    responseTimeAlpha: config.responseTimeAlpha,
    drainTimeoutMs: config.drainTimeoutMs,
  };
}

export function toBackend(row: Backend): TBackend {
  return {
    id: row.id,
    poolId: row.poolId,
    host: row.host,
    port: row.port,
    weight: row.weight,
    backup: row.backup,
    maxConnections: row.maxConnections,
    adminState: row.adminState,
    versionLabel: row.versionLabel,
    version: row.version,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
