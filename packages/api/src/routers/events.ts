import { ZEventListInput, zApiInput } from '@fulcrum/protocol';
import { z } from 'zod';
import { listEvents } from '../services/events/events';
import { router, viewerProcedure } from '../trpc';
import { ZEventRecord } from './schemas';

export const eventsRouter = router({
  list: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/events', protect: true, tags: ['events'], summary: 'The event timeline, newest first' } })
    .input(zApiInput(ZEventListInput))
    .output(z.array(ZEventRecord))
    .query(({ ctx, input }) => listEvents(ctx.prisma, input)),
});
