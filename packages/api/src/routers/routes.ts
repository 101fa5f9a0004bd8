import { ZListenerWithRoutes, ZRoute, ZRouteCreate, ZRouteDelete, ZRouteRef, ZRouteReorder, ZRouteUpdate, zApiInput } from '@fulcrum/protocol';
import { z } from 'zod';
import { getListener } from '../services/listeners/listeners';
import { createRoute, deleteRoute, reorderRoutes, updateRoute } from '../services/listeners/routes';
import { findListenerRow, findRouteRow } from '../services/listeners/find-listener';
import { toRoute } from '../services/listeners/listener-mapper';
import { operatorProcedure, router, viewerProcedure } from '../trpc';
import { ZOk } from './schemas';

const tags = ['routes'];

export const routesRouter = router({
  list: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/listeners/{listener}/routes', protect: true, tags, summary: 'A listener’s routes in match order' } })
    .input(zApiInput(z.object({ listener: z.string().min(1, 'listener is required') })))
    .output(ZListenerWithRoutes.pick({ routes: true, order: true }))
    .query(async ({ ctx, input }) => {
      const { routes, order } = await getListener(ctx.prisma, input.listener);
      return { routes, order };
    }),
  get: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/listeners/{listener}/routes/{id}', protect: true, tags, summary: 'A route (by id or name)' } })
    .input(zApiInput(ZRouteRef))
    .output(ZRoute)
    .query(async ({ ctx, input }) => toRoute(await findRouteRow(ctx.prisma, (await findListenerRow(ctx.prisma, input.listener)).id, input.id))),
  create: operatorProcedure
    .meta({ openapi: { method: 'POST', path: '/listeners/{listener}/routes', protect: true, tags, summary: 'Add a route (a pool action may name the pool by name)' } })
    .input(zApiInput(ZRouteCreate))
    .output(ZRoute)
    .mutation(({ ctx, input: { reason, ...input } }) => createRoute(ctx.prisma, { actor: ctx.actor, input, reason })),
  update: operatorProcedure
    .meta({ openapi: { method: 'PATCH', path: '/listeners/{listener}/routes/{id}', protect: true, tags, summary: 'Change a route (optimistic: send the version you read)' } })
    .input(zApiInput(ZRouteUpdate))
    .output(ZRoute)
    .mutation(({ ctx, input: { reason, ...update } }) => updateRoute(ctx.prisma, { actor: ctx.actor, update, reason })),
  delete: operatorProcedure
    .meta({ openapi: { method: 'DELETE', path: '/listeners/{listener}/routes/{id}', protect: true, tags, summary: 'Delete a route' } })
    .input(zApiInput(ZRouteDelete))
    .output(ZOk)
    .mutation(async ({ ctx, input }) => {
      await deleteRoute(ctx.prisma, { actor: ctx.actor, ...input });
      return { ok: true as const };
    }),
  reorder: operatorProcedure
    .meta({ openapi: { method: 'PUT', path: '/listeners/{listener}/priorities', protect: true, tags, summary: 'Set the priority of several routes in one revision' } })
    .input(zApiInput(ZRouteReorder))
    .output(z.array(ZRoute))
    .mutation(({ ctx, input: { reason, ...input } }) => reorderRoutes(ctx.prisma, { actor: ctx.actor, input, reason })),
});
