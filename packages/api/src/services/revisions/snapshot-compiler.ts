import { createHash } from 'node:crypto';
import { type TConfigSnapshot, type TSnapshotCertificate, type TSnapshotPool, ZConfigSnapshot } from '@fulcrum/protocol';
import type { Prisma } from '@fulcrum/db';
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

export function hashPools(pools: TSnapshotPool[]): string {
  return createHash('sha256').update(canonicalJson(pools)).digest('hex');
}

/** Compiles the whole configuration, as data planes run it, from the current rows. */
export async function compileSnapshot(tx: Tx, version: number): Promise<TConfigSnapshot> {
  const rows = await tx.pool.findMany({ orderBy: { name: 'asc' }, include: { backends: { orderBy: [{ host: 'asc' }, { port: 'asc' }] } } });
  const pools: TSnapshotPool[] = rows.map((row) => {
    const { id, version: _v, createdAt: _c, updatedAt: _u, ...config } = toPool(row);
    return {
      ...config,
      id,
      backends: row.backends.map((b) => {
        const { poolId: _p, version: _bv, createdAt: _bc, updatedAt: _bu, ...backend } = toBackend(b);
        return backend;
      }),
    };
  });
  // Public parts only: keys are attached as the snapshot goes over the link (snapshot-secrets.ts).
  const certificates: TSnapshotCertificate[] = (await tx.certificate.findMany({ orderBy: { name: 'asc' }, select: { id: true, name: true, version: true, names: true, chainPem: true } })).map((c) => ({
    id: c.id,
    name: c.name,
    version: c.version,
    names: c.names,
    chain: c.chainPem,
  }));
  // A rotation changes the hash (data planes skip a snapshot whose hash they run); without certificates it is the pools' hash as before.
  const hash = certificates.length ? createHash('sha256').update(canonicalJson({ pools, certificates })).digest('hex') : hashPools(pools);
  // Validation here catches a rule the database cannot express (e.g. a duplicate listener).
  return ZConfigSnapshot.parse({ version, hash, createdAt: new Date().toISOString(), pools, ...(certificates.length ? { certificates } : {}) });
}
