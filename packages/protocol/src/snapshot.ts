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
    hash: z.string().min(1),
    createdAt: z.string().optional(),
    pools: z.array(ZSnapshotPool),
  })
  .superRefine((snap, ctx) => {
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
      const seen = new Set<string>();
      pool.backends.forEach((b, bi) => {
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
