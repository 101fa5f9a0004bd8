import { z } from 'zod';
import { ZBackendConfig, backendAddress } from './backend';
import { ZSnapshotCertificate } from './certificate';
import { ZSnapshotListener, type TSnapshotListener } from './listener';
import { ZPoolConfig } from './pool';
import { ZHost, ZId, ZPort } from './primitives';
import { CATCH_ALL_MATCH } from './route';

export const ZSnapshotBackend = ZBackendConfig.extend({ id: ZId });
export type TSnapshotBackend = z.infer<typeof ZSnapshotBackend>;

/** A pool as snapshot schema 1 carried it: its own listener (listenHost, listenPort, protocol). */
export const ZSnapshotPoolV1 = ZPoolConfig.extend({
  listenHost: ZHost.default('0.0.0.0'),
  listenPort: ZPort,
  id: ZId,
  backends: z.array(ZSnapshotBackend),
});
export type TSnapshotPoolV1 = z.infer<typeof ZSnapshotPoolV1>;

/** A pool as data planes run it: listeners and their routes decide what reaches it. */
export const ZSnapshotPoolV2 = ZPoolConfig.omit({ listenHost: true, listenPort: true }).extend({
  id: ZId,
  backends: z.array(ZSnapshotBackend),
});
export type TSnapshotPoolV2 = z.infer<typeof ZSnapshotPoolV2>;
export const ZSnapshotPool = ZSnapshotPoolV2;
export type TSnapshotPool = TSnapshotPoolV2;

/** The snapshot schema this code writes. Data planes refuse a schema they do not know, with the reason. */
export const SNAPSHOT_SCHEMA = 2;

type PoolsShape = { pools: { id: string; name: string; backends: { id: string; host: string; port: number }[] }[] };

/** The data plane keys pools, metrics and backend state by these; a repeat would mix two up. */
function checkPools(snap: PoolsShape, ctx: z.RefinementCtx): void {
  const poolIds = new Set<string>();
  const poolNames = new Set<string>();
  const backendIds = new Set<string>();
  snap.pools.forEach((pool, pi) => {
    if (poolIds.has(pool.id)) ctx.addIssue({ code: 'custom', path: ['pools', pi, 'id'], message: `pool id ${pool.id} appears twice` });
    if (poolNames.has(pool.name)) ctx.addIssue({ code: 'custom', path: ['pools', pi, 'name'], message: `pool name ${pool.name} appears twice` });
    poolIds.add(pool.id);
    poolNames.add(pool.name);
    const seen = new Set<string>();
    pool.backends.forEach((b, bi) => {
      if (backendIds.has(b.id)) ctx.addIssue({ code: 'custom', path: ['pools', pi, 'backends', bi, 'id'], message: `backend id ${b.id} appears twice` });
      backendIds.add(b.id);
      const addr = backendAddress(b);
      if (seen.has(addr)) {
        ctx.addIssue({ code: 'custom', path: ['pools', pi, 'backends', bi], message: `duplicate backend ${addr} in pool ${pool.name}` });
      }
      seen.add(addr);
    });
  });
}

/**
 * Snapshot schema 1 (no `schema` field): every pool was its own listener. Still read, from
 * config files and stored revisions, and turned into schema 2 by upgradeSnapshotV1.
 */
export const ZConfigSnapshotV1 = z
  .object({
    version: z.number().int().min(0),
    /** sha256 of the canonical JSON of `pools`; an identical snapshot is skipped. */
    hash: z.string().min(1).max(256),
    createdAt: z.string().optional(),
    pools: z.array(ZSnapshotPoolV1),
    /** Carried over to schema 2 as they are (the control plane compiles pools in this shape until listeners have tables). */
    certificates: z.array(ZSnapshotCertificate).max(10_000).optional(),
  })
  .superRefine((snap, ctx) => {
    checkPools(snap, ctx);
    const listeners = new Map<string, string>();
    snap.pools.forEach((pool, pi) => {
      const key = String(pool.listenPort);
      const other = listeners.get(key);
      if (other) {
        ctx.addIssue({
          code: 'custom',
          path: ['pools', pi, 'listenPort'],
          message: `port ${pool.listenPort} is already used by pool ${other}`,
        });
      }
      listeners.set(key, pool.name);
    });
  });
export type TConfigSnapshotV1 = z.infer<typeof ZConfigSnapshotV1>;
export type TConfigSnapshotV1Input = z.input<typeof ZConfigSnapshotV1>;

/**
 * What a schema 1 pool meant, in schema 2: a listener on its address and port with one
 * catch-all route to it. Ids are the pool's own (listeners and routes are keyed apart), the
 * same the database migration gives them, so an upgraded snapshot and the migrated rows agree.
 */
export function upgradeSnapshotV1(v1: TConfigSnapshotV1): TConfigSnapshotV2 {
  const listeners: TSnapshotListener[] = v1.pools.map((p) => ({
    id: p.id,
    name: p.name,
    address: p.listenHost,
    port: p.listenPort,
    protocol: p.protocol,
    http: { headTimeoutMs: p.http.headTimeoutMs, maxHeadBytes: p.http.maxHeadBytes, maxHeaders: p.http.maxHeaders, trustedProxies: p.http.trustedProxies },
    idleMs: p.timeouts.idleMs,
    routes: [{ id: p.id, name: p.name, priority: 0, match: CATCH_ALL_MATCH, action: { type: 'pool', poolId: p.id }, headers: { request: [], response: [] } }],
  }));
  const pools = v1.pools.map(({ listenHost: _h, listenPort: _p, ...pool }) => pool);
  return {
    schema: SNAPSHOT_SCHEMA,
    version: v1.version,
    hash: v1.hash,
    ...(v1.createdAt ? { createdAt: v1.createdAt } : {}),
    pools,
    listeners,
    ...(v1.certificates ? { certificates: v1.certificates } : {}),
  };
}

/** A secret's reference inside a snapshot, e.g. `certificate/<id>/key`. */
export const ZSecretRef = z.string().regex(/^[a-z][a-z-]*\/[\w.-]{1,128}(\/[\w.-]{1,64})?$/, 'a secret reference reads <kind>/<id> or <kind>/<id>/<part>');
export const ZSnapshotSecrets = z.record(ZSecretRef, z.string().max(1_048_576, 'a secret is at most 1 MiB'));

/** Snapshot schema 2: listeners with their routes, and the pools they send to. */
export const ZConfigSnapshotV2 = z
  .object({
    schema: z.literal(SNAPSHOT_SCHEMA, {
      error: (i) => `snapshot schema ${JSON.stringify(i.input)} is not one this data plane understands (it reads schemas 1 and ${SNAPSHOT_SCHEMA}): upgrade the data plane`,
    }),
    version: z.number().int().min(0),
    /** sha256 of the canonical JSON of the configuration; an identical snapshot is skipped. */
    hash: z.string().min(1).max(256),
    createdAt: z.string().optional(),
    pools: z.array(ZSnapshotPoolV2),
    listeners: z.array(ZSnapshotListener).max(10_000),
    /** The certificates https listeners serve: public chain and names; their keys travel in `secrets`. */
    certificates: z.array(ZSnapshotCertificate).max(10_000).optional(),
    /**
     * Secret material the configuration names by reference (a certificate's private key, a
     * database health check's password), keyed `<kind>/<id>/<part>`. Attached by the control
     * plane as it sends a snapshot over the link; stored revisions, exports and APIs never carry it.
     */
    secrets: ZSnapshotSecrets.optional(),
  })
  .superRefine((snap, ctx) => {
    checkPools(snap, ctx);
    const pools = new Set(snap.pools.map((p) => p.id));
    const ids = new Set<string>();
    const names = new Set<string>();
    const ports = new Map<number, string>();
    const routeIds = new Set<string>();
    const certificates = new Set<string>();
    snap.certificates?.forEach((c, ci) => {
      if (certificates.has(c.id)) ctx.addIssue({ code: 'custom', path: ['certificates', ci, 'id'], message: `certificate id ${c.id} appears twice` });
      certificates.add(c.id);
    });
    snap.listeners.forEach((l, li) => {
      l.tls?.certificateIds.forEach((id, i) => {
        if (!certificates.has(id))
          ctx.addIssue({ code: 'custom', path: ['listeners', li, 'tls', 'certificateIds', i], message: `listener ${l.name} names certificate ${id}, which is not in the snapshot` });
      });
      if (ids.has(l.id)) ctx.addIssue({ code: 'custom', path: ['listeners', li, 'id'], message: `listener id ${l.id} appears twice` });
      if (names.has(l.name)) ctx.addIssue({ code: 'custom', path: ['listeners', li, 'name'], message: `listener name ${l.name} appears twice` });
      ids.add(l.id);
      names.add(l.name);
      const other = ports.get(l.port);
      if (other) ctx.addIssue({ code: 'custom', path: ['listeners', li, 'port'], message: `port ${l.port} is already used by listener ${other}` });
      ports.set(l.port, l.name);
      l.routes.forEach((r, ri) => {
        if (routeIds.has(r.id)) ctx.addIssue({ code: 'custom', path: ['listeners', li, 'routes', ri, 'id'], message: `route id ${r.id} appears twice` });
        routeIds.add(r.id);
        if (r.action.type === 'pool' && !pools.has(r.action.poolId)) {
          ctx.addIssue({ code: 'custom', path: ['listeners', li, 'routes', ri, 'action', 'poolId'], message: `route ${r.name} sends to pool ${r.action.poolId}, which is not in the snapshot` });
        }
      });
    });
  });
export type TConfigSnapshotV2 = z.infer<typeof ZConfigSnapshotV2>;
export type TConfigSnapshotV2Input = z.input<typeof ZConfigSnapshotV2>;

const isV1 = (raw: unknown) => typeof raw === 'object' && raw !== null && !('schema' in raw) && !('listeners' in raw);

/**
 * The whole compiled configuration a data plane runs (schema 2). A schema 1 snapshot (a config
 * file or a stored revision from before listeners) is read and upgraded; any other schema is
 * refused with the reason. A data plane that predates schema 2 refuses a schema 2 snapshot too
 * (its pools lack the listenPort it requires) and keeps serving its last good config.
 */
export const ZConfigSnapshot = z.preprocess((raw, ctx) => {
  if (!isV1(raw)) return raw;
  const v1 = ZConfigSnapshotV1.safeParse(raw);
  if (v1.success) return upgradeSnapshotV1(v1.data);
  for (const issue of v1.error.issues) ctx.addIssue({ ...issue, code: 'custom', message: issue.message, path: issue.path } as never);
  return z.NEVER;
}, ZConfigSnapshotV2);

export type TConfigSnapshot = TConfigSnapshotV2;
/** What a data plane or a config file may hand in: schema 2, or schema 1 (upgraded on read). */
export type TConfigSnapshotInput = TConfigSnapshotV2Input | TConfigSnapshotV1Input;

/** Reads a snapshot as a data plane does: the snapshot, or why it is refused (every wrong field named, `path: message; …`). */
export function readSnapshot(raw: unknown): { ok: true; snapshot: TConfigSnapshot } | { ok: false; error: string } {
  const parsed = ZConfigSnapshot.safeParse(raw);
  if (parsed.success) return { ok: true, snapshot: parsed.data };
  return { ok: false, error: parsed.error.issues.map((i) => `${i.path.join('.') || 'snapshot'}: ${i.message}`).join('; ') };
}
