import { ZRefusedPool } from '@fulcrum/protocol';
import { z } from 'zod';
import { listDataplanes } from '../services/dataplanes/list-dataplanes';
import { router, viewerProcedure } from '../trpc';

const ZDataplaneSummary = z.object({
  id: z.string(),
  name: z.string(),
  softwareVersion: z.string(),
  connected: z.boolean(),
  lastSeenAt: z.string(),
  appliedConfigVersion: z.number().int().nullable(),
  lag: z.number().int().nullable(),
  lastError: z.string().nullable(),
  refusedPools: z.array(ZRefusedPool),
});

export const dataplanesRouter = router({
  list: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/dataplanes', protect: true, tags: ['dataplanes'], summary: 'Data planes: connected, last seen, applied config, lag' } })
    .input(z.void())
    .output(z.array(ZDataplaneSummary))
    .query(({ ctx }) => listDataplanes(ctx.prisma)),
});
