import { ZBackend, ZBackendCreate, ZBackendUpdate, zApiInput } from '@fulcrum/protocol';
import { z } from 'zod';
import { createBackend, deleteBackend, listBackends, updateBackend } from '../services/backends/backends';
import { operatorProcedure, router, viewerProcedure } from '../trpc';
import { ZOk, ZReason, ZVersionedDelete } from './schemas';

const tags = ['backends'];

export const backendsRouter = router({
  list: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/pools/{poolId}/backends', protect: true, tags, summary: "A pool's backends" } })
    .input(zApiInput(z.object({ poolId: z.string().min(1) })))
    .output(z.array(ZBackend))
    .query(({ ctx, input }) => listBackends(ctx.prisma, input.poolId)),
  create: operatorProcedure
    .meta({ openapi: { method: 'POST', path: '/pools/{poolId}/backends', protect: true, tags, summary: 'Add a backend' } })
    .input(zApiInput(ZBackendCreate.extend(ZReason.shape)))
    .output(ZBackend)
    .mutation(({ ctx, input: { reason, poolId, ...config } }) => createBackend(ctx.prisma, { actor: ctx.actor, poolId, config, reason })),
  update: operatorProcedure
    .meta({ openapi: { method: 'PATCH', path: '/backends/{id}', protect: true, tags, summary: 'Change a backend: weight, admin state (drain/disable/enable)…' } })
    .input(zApiInput(ZBackendUpdate.extend(ZReason.shape)))
    .output(ZBackend)
    .mutation(({ ctx, input: { reason, ...update } }) => updateBackend(ctx.prisma, { actor: ctx.actor, update, reason })),
  delete: operatorProcedure
    .meta({ openapi: { method: 'DELETE', path: '/backends/{id}', protect: true, tags, summary: 'Remove a backend' } })
    .input(zApiInput(ZVersionedDelete))
    .output(ZOk)
    .mutation(async ({ ctx, input }) => {
      await deleteBackend(ctx.prisma, { actor: ctx.actor, ...input });
      return { ok: true as const };
    }),
});
