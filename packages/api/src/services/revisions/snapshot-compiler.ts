import { createHash } from 'node:crypto';
import { SNAPSHOT_SCHEMA, type TConfigSnapshot, type TSnapshotCertificate, type TSnapshotListener, type TSnapshotPool, ZConfigSnapshot } from '@fulcrum/protocol';
import type { Prisma } from '@fulcrum/db';
import { toListener, toRoute, toSnapshotListener } from '../listeners/listener-mapper';
import { toBackend, toPool } from '../pools/pool-mapper';

type Tx = Prisma.TransactionClient;

/** JSON with object keys sorted, so equal configs always hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * What data planes compare to skip an identical snapshot: pools, listeners with their routes, and
 * certificates when there are any (a rotation must not look unchanged).
 */
export function hashConfig(pools: TSnapshotPool[], listeners: TSnapshotListener[], certificates: TSnapshotCertificate[] = []): string {
  return createHash('sha256')
    .update(canonicalJson(certificates.length ? { pools, listeners, certificates } : { pools, listeners }))
    .digest('hex');
}

/** Compiles the whole configuration, as data planes run it, from the current rows. */
export async function compileSnapshot(tx: Tx, version: number): Promise<TConfigSnapshot> {
  const rows = await tx.pool.findMany({ orderBy: { name: 'asc' }, include: { backends: { orderBy: [{ host: 'asc' }, { port: 'asc' }] } } });
  const pools: TSnapshotPool[] = rows.map((row) => {
    const { id, version: _v, createdAt: _c, updatedAt: _u, listenHost: _h, listenPort: _p, ...config } = toPool(row);
    return {
      ...config,
      id,
      backends: row.backends.map((b) => {
        const { poolId: _p, version: _bv, createdAt: _bc, updatedAt: _bu, ...backend } = toBackend(b);
        return backend;
      }),
    };
  });
  const listenerRows = await tx.listener.findMany({ orderBy: { name: 'asc' }, include: { routes: { orderBy: { name: 'asc' } } } });
  const listeners = listenerRows.map((l) => toSnapshotListener(toListener(l), l.routes.map(toRoute)));
  // Public parts only: keys are attached as the snapshot goes over the link (snapshot-secrets.ts).
  const certificates: TSnapshotCertificate[] = (await tx.certificate.findMany({ orderBy: { name: 'asc' }, select: { id: true, name: true, version: true, names: true, chainPem: true } })).map((c) => ({
    id: c.id,
    name: c.name,
    version: c.version,
    names: c.names,
    chain: c.chainPem,
  }));
  // Validation here catches a rule the database cannot express (a route to a pool that is
  // missing, a tcp listener with HTTP routes, an https listener without its certificate, ...).
  return ZConfigSnapshot.parse({
    schema: SNAPSHOT_SCHEMA,
    version,
    hash: hashConfig(pools, listeners, certificates),
    createdAt: new Date().toISOString(),
    pools,
    listeners,
    ...(certificates.length ? { certificates } : {}),
  });
}
