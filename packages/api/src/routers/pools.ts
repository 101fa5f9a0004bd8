import { ZPool, ZPoolConfig, ZPoolUpdate, zApiInput } from '@fulcrum/protocol';
import { z } from 'zod';
import { createPool, deletePool, getPool, listPools, updatePool } from '../services/pools/pools';
import { operatorProcedure, router, viewerProcedure } from '../trpc';
import { ZIdInput, ZOk, ZPoolListItem, ZPoolWithBackends, ZReason, ZVersionedDelete } from './schemas';

const tags = ['pools'];

export const poolsRouter = router({
  list: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/pools', protect: true, tags, summary: 'List pools' } })
    .input(z.void())
    .output(z.array(ZPoolListItem))
    .query(({ ctx }) => listPools(ctx.prisma)),
  get: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/pools/{id}', protect: true, tags, summary: 'A pool (by id or name) with its backends' } })
    .input(zApiInput(ZIdInput))
    .output(ZPoolWithBackends)
    .query(({ ctx, input }) => getPool(ctx.prisma, input.id)),
  create: operatorProcedure
    .meta({ openapi: { method: 'POST', path: '/pools', protect: true, tags, summary: 'Create a pool' } })
    .input(zApiInput(ZPoolConfig.extend(ZReason.shape)))
    .output(ZPool)
    .mutation(({ ctx, input: { reason, ...config } }) => createPool(ctx.prisma, { actor: ctx.actor, config, reason })),
  update: operatorProcedure
    .meta({ openapi: { method: 'PATCH', path: '/pools/{id}', protect: true, tags, summary: 'Change a pool (optimistic: send the version you read)' } })
    .input(zApiInput(ZPoolUpdate.extend(ZReason.shape)))
    .output(ZPool)
    .mutation(({ ctx, input: { reason, ...update } }) => updatePool(ctx.prisma, { actor: ctx.actor, update, reason })),
  delete: operatorProcedure
    .meta({ openapi: { method: 'DELETE', path: '/pools/{id}', protect: true, tags, summary: 'Delete a pool' } })
    .input(zApiInput(ZVersionedDelete))
    .output(ZOk)
    .mutation(async ({ ctx, input }) => {
      await deletePool(ctx.prisma, { actor: ctx.actor, ...input });
      return { ok: true as const };
    }),
});
