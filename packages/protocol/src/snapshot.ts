import { z } from 'zod';
import { ZBackendConfig, backendAddress } from './backend';
import { ZPoolConfig } from './pool';
import { ZId } from './primitives';

export const ZSnapshotBackend = ZBackendConfig.extend({ id: ZId });
export type TSnapshotBackend = z.infer<typeof ZSnapshotBackend>;

export const ZSnapshotPool = ZPoolConfig.extend({
  id: ZId,
  backends: z.array(ZSnapshotBackend),
});
export type TSnapshotPool = z.infer<typeof ZSnapshotPool>;

/**
 * The whole compiled configuration a data plane runs. The control plane compiles one per
 * revision; a data plane run from a file reads the same shape.
 */
export const ZConfigSnapshot = z
  .object({
    version: z.number().int().min(0),
    /** sha256 of the canonical JSON of `pools`; an identical snapshot is skipped. */
    hash: z.string().min(1).max(256),
    createdAt: z.string().optional(),
    pools: z.array(ZSnapshotPool),
  })
  .superRefine((snap, ctx) => {
    const listeners = new Map<string, string>();
    // The data plane keys pools, metrics and backend state by these; a repeat would mix two up.
    const poolIds = new Set<string>();
    const poolNames = new Set<string>();
    const backendIds = new Set<string>();
    snap.pools.forEach((pool, pi) => {
      if (poolIds.has(pool.id)) ctx.addIssue({ code: 'custom', path: ['pools', pi, 'id'], message: `pool id ${pool.id} appears twice` });
      if (poolNames.has(pool.name)) ctx.addIssue({ code: 'custom', path: ['pools', pi, 'name'], message: `pool name ${pool.name} appears twice` });
      poolIds.add(pool.id);
      poolNames.add(pool.name);
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
  });
export type TConfigSnapshot = z.infer<typeof ZConfigSnapshot>;
export type TConfigSnapshotInput = z.input<typeof ZConfigSnapshot>;
