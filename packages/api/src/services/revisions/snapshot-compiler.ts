import { SNAPSHOT_SCHEMA, type TConfigSnapshot, type TSnapshotCertificate, type TSnapshotPool, ZConfigSnapshot } from '@fulcrum/protocol';
import type { Prisma } from '@fulcrum/db';
import { configHash } from './link-hash';
import { toListener, toRoute, toSnapshotListener } from '../listeners/listener-mapper';
import { toBackend, toPool } from '../pools/pool-mapper';

type Tx = Prisma.TransactionClient;

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
    hash: configHash(pools, listeners, certificates),
    createdAt: new Date().toISOString(),
    pools,
    listeners,
    ...(certificates.length ? { certificates } : {}),
  });
}
