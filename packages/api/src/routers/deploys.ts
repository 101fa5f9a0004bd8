import { ZDeployRecord, ZDeployStartFields, withDeployChecks, zApiInput } from '@fulcrum/protocol';
import { z } from 'zod';
import { abortDeploy, getDeploy, listDeploys, startDeploy } from '../services/deploys/deploys';
import { operatorProcedure, router, viewerProcedure } from '../trpc';
import { ZIdInput, ZReason } from './schemas';

const tags = ['deploys'];
const ZPoolRef = z.object({ pool: z.string().min(1, 'pool is required') });

export const deploysRouter = router({
  start: operatorProcedure
    .meta({
      openapi: {
        method: 'POST',
        path: '/pools/{pool}/deploys',
        protect: true,
        tags,
        summary: 'Start a rollout of a new version (canary, blue/green, or rolling through the pool’s provider); 409 while another runs',
      },
    })
    .input(zApiInput(withDeployChecks(ZDeployStartFields.extend(ZPoolRef.shape))))
    .output(ZDeployRecord)
    .mutation(({ ctx, input: { pool, ...spec } }) => startDeploy(ctx.prisma, { actor: ctx.actor, pool, spec })),
  list: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/pools/{pool}/deploys', protect: true, tags, summary: "A pool's deploys, newest first" } })
    .input(zApiInput(ZPoolRef.extend({ limit: z.number().int().min(1).max(100).default(20) })))
    .output(z.array(ZDeployRecord))
    .query(({ ctx, input }) => listDeploys(ctx.prisma, input.pool, input.limit)),
  get: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/deploys/{id}', protect: true, tags, summary: 'A deploy with its status and every step' } })
    .input(zApiInput(ZIdInput))
    .output(ZDeployRecord)
    .query(({ ctx, input }) => getDeploy(ctx.prisma, input.id)),
  abort: operatorProcedure
    .meta({ openapi: { method: 'POST', path: '/deploys/{id}/abort', protect: true, tags, summary: 'Abort a running deploy and roll it back' } })
    .input(zApiInput(ZIdInput.extend(ZReason.shape)))
    .output(ZDeployRecord)
    .mutation(({ ctx, input }) => abortDeploy(ctx.prisma, { actor: ctx.actor, id: input.id, reason: input.reason })),
});
