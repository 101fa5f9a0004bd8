import { ZConfigSnapshot, ZRevisionDiffInput, ZRevisionListInput, ZRevisionRollback, zApiInput } from '@fulcrum/protocol';
import { z } from 'zod';
import { getPoolApplyStatus } from '../services/dataplanes/pool-apply-status';
import { diffRevisions, getRevision, listRevisions, rollbackToRevision } from '../services/revisions/revisions';
import { operatorProcedure, router, viewerProcedure } from '../trpc';
import { ZRevisionSummary, ZSnapshotChange } from './schemas';

const tags = ['revisions'];

export const revisionsRouter = router({
  list: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/revisions', protect: true, tags, summary: 'Config revisions, newest first' } })
    .input(zApiInput(ZRevisionListInput))
    .output(z.array(ZRevisionSummary))
    .query(({ ctx, input }) => listRevisions(ctx.prisma, input)),
  get: viewerProcedure
    .input(zApiInput(z.object({ version: z.number().int().min(0) })))
    .output(ZRevisionSummary.extend({ snapshot: ZConfigSnapshot }))
    .query(({ ctx, input }) => getRevision(ctx.prisma, input.version)),
  diff: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/revisions/diff', protect: true, tags, summary: 'What changed between two revisions' } })
    .input(zApiInput(ZRevisionDiffInput))
    .output(z.object({ from: z.number().int(), to: z.number().int(), changes: z.array(ZSnapshotChange) }))
    .query(({ ctx, input }) => diffRevisions(ctx.prisma, input.from, input.to)),
  /** Saved versus running for one pool: which data planes run its newest revision, are pending, or refused it and why. */
  poolStatus: viewerProcedure.input(z.object({ poolId: z.string().min(1).max(64) })).query(({ ctx, input }) => getPoolApplyStatus(ctx.prisma, input.poolId)),
  rollback: operatorProcedure
    .meta({ openapi: { method: 'POST', path: '/revisions/{version}/rollback', protect: true, tags, summary: 'Restore an earlier revision as a new one' } })
    .input(zApiInput(ZRevisionRollback))
    .output(ZRevisionSummary)
    .mutation(({ ctx, input }) => rollbackToRevision(ctx.prisma, { actor: ctx.actor, ...input })),
});
