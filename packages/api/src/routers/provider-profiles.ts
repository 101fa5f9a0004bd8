import { ZProviderProfileCreate, ZProviderProfileRecord, ZProviderProfileUpdate, zApiInput } from '@fulcrum/protocol';
import { z } from 'zod';
import { createProviderProfile, deleteProviderProfile, getProviderProfile, listProviderProfiles, updateProviderProfile } from '../services/provider-profiles/provider-profiles';
import { adminProcedure, router, viewerProcedure } from '../trpc';
import { ZOk } from './schemas';

const tags = ['provider profiles'];

/** Admins declare what scaling may run or call; everyone signed in may read it (never the secret). */
export const providerProfilesRouter = router({
  list: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/provider-profiles', protect: true, tags, summary: 'Provider profiles scaling rules may use (secrets are never returned)' } })
    .input(zApiInput(z.object({}).strict()))
    .output(z.array(ZProviderProfileRecord))
    .query(({ ctx }) => listProviderProfiles(ctx.prisma)),
  get: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/provider-profiles/{id}', protect: true, tags, summary: 'One provider profile, by id or name' } })
    .input(zApiInput(z.object({ id: z.string().min(1).max(64) }).strict()))
    .output(ZProviderProfileRecord)
    .query(({ ctx, input }) => getProviderProfile(ctx.prisma, input.id)),
  create: adminProcedure
    .meta({ openapi: { method: 'POST', path: '/provider-profiles', protect: true, tags, summary: 'Declare a provider profile (admin)' } })
    .input(zApiInput(ZProviderProfileCreate))
    .output(ZProviderProfileRecord)
    .mutation(({ ctx, input }) => createProviderProfile(ctx.prisma, input)),
  update: adminProcedure
    .meta({
      openapi: {
        method: 'PUT',
        path: '/provider-profiles/{id}',
        protect: true,
        tags,
        summary: 'Replace a provider profile (admin; send the version you read; leave secret out to keep it, null to remove it)',
      },
    })
    .input(zApiInput(ZProviderProfileUpdate))
    .output(ZProviderProfileRecord)
    .mutation(({ ctx, input }) => updateProviderProfile(ctx.prisma, input)),
  delete: adminProcedure
    .meta({ openapi: { method: 'DELETE', path: '/provider-profiles/{id}', protect: true, tags, summary: 'Remove a provider profile no rule uses (admin)' } })
    .input(zApiInput(z.object({ id: z.string().min(1).max(64), expectedVersion: z.number().int().min(1).max(2_147_483_647) }).strict()))
    .output(ZOk)
    .mutation(async ({ ctx, input }) => {
      await deleteProviderProfile(ctx.prisma, input);
      return { ok: true as const };
    }),
});
