import { ZScalingRuleConfig, ZScalingRuleCreate, ZScalingRuleRecord, ZScalingRuleUpdate, zApiInput } from '@fulcrum/protocol';
import { z } from 'zod';
import { createScalingRule, deleteScalingRule, listScalingRules, updateScalingRule } from '../scaling/scaling-rules';
import { operatorProcedure, router, viewerProcedure } from '../trpc';
import { ZOk } from './schemas';

const tags = ['scaling'];

export const scalingRouter = router({
  list: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/pools/{poolId}/scaling-rules', protect: true, tags, summary: "A pool's scaling rules with their evaluator state" } })
    .input(zApiInput(z.object({ poolId: z.string().min(1) })))
    .output(z.array(ZScalingRuleRecord))
    .query(({ ctx, input }) => listScalingRules(ctx.prisma, input.poolId)),
  create: operatorProcedure
    .meta({
      openapi: { method: 'POST', path: '/pools/{poolId}/scaling-rules', protect: true, tags, summary: 'Add a scaling rule that drives a provider profile with values for its declared parameters' },
    })
    .input(zApiInput(ZScalingRuleCreate))
    .output(ZScalingRuleRecord)
    .mutation(({ ctx, input }) => createScalingRule(ctx.prisma, input)),
  update: operatorProcedure
    .meta({ openapi: { method: 'PUT', path: '/scaling-rules/{id}', protect: true, tags, summary: 'Replace a scaling rule (send the version you read)' } })
    .input(zApiInput(ZScalingRuleUpdate.extend({ rule: ZScalingRuleConfig })))
    .output(ZScalingRuleRecord)
    .mutation(({ ctx, input }) => updateScalingRule(ctx.prisma, input)),
  delete: operatorProcedure
    .meta({ openapi: { method: 'DELETE', path: '/scaling-rules/{id}', protect: true, tags, summary: 'Remove a scaling rule' } })
    .input(zApiInput(z.object({ id: z.string().min(1), expectedVersion: z.number().int().min(1) })))
    .output(ZOk)
    .mutation(async ({ ctx, input }) => {
      await deleteScalingRule(ctx.prisma, input);
      return { ok: true as const };
    }),
});
