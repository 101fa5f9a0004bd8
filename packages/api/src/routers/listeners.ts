import { ZListener, ZListenerCreate, ZListenerDelete, ZListenerListItem, ZListenerUpdate, ZListenerWithRoutes, ZWhichRouteAnswer, ZWhichRouteInput, zApiInput } from '@fulcrum/protocol';
import { z } from 'zod';
import { createListener, deleteListener, getListener, listListeners, updateListener } from '../services/listeners/listeners';
import { whichRoute } from '../services/listeners/which-route';
import { operatorProcedure, router, viewerProcedure } from '../trpc';
import { ZIdInput, ZOk } from './schemas';

const tags = ['listeners'];

export const listenersRouter = router({
  list: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/listeners', protect: true, tags, summary: 'List listeners' } })
    .input(z.void())
    .output(z.array(ZListenerListItem))
    .query(({ ctx }) => listListeners(ctx.prisma)),
  get: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/listeners/{id}', protect: true, tags, summary: 'A listener (by id or name) with its routes in match order' } })
    .input(zApiInput(ZIdInput))
    .output(ZListenerWithRoutes)
    .query(({ ctx, input }) => getListener(ctx.prisma, input.id)),
  create: operatorProcedure
    .meta({ openapi: { method: 'POST', path: '/listeners', protect: true, tags, summary: 'Create a listener' } })
    .input(zApiInput(ZListenerCreate))
    .output(ZListener)
    .mutation(({ ctx, input: { reason, ...config } }) => createListener(ctx.prisma, { actor: ctx.actor, config, reason })),
  update: operatorProcedure
    .meta({ openapi: { method: 'PATCH', path: '/listeners/{id}', protect: true, tags, summary: 'Change a listener (optimistic: send the version you read)' } })
    .input(zApiInput(ZListenerUpdate))
    .output(ZListener)
    .mutation(({ ctx, input: { reason, ...update } }) => updateListener(ctx.prisma, { actor: ctx.actor, update, reason })),
  delete: operatorProcedure
    .meta({ openapi: { method: 'DELETE', path: '/listeners/{id}', protect: true, tags, summary: 'Delete a listener and its routes' } })
    .input(zApiInput(ZListenerDelete))
    .output(ZOk)
    .mutation(async ({ ctx, input }) => {
      await deleteListener(ctx.prisma, { actor: ctx.actor, ...input });
      return { ok: true as const };
    }),
  whichRoute: viewerProcedure
    .meta({ openapi: { method: 'POST', path: '/listeners/{listener}/which-route', protect: true, tags, summary: 'Which route a request would take, and why (the data plane’s own matcher)' } })
    .input(zApiInput(ZWhichRouteInput))
    .output(ZWhichRouteAnswer)
    .mutation(({ ctx, input }) => whichRoute(ctx.prisma, input)),
});
