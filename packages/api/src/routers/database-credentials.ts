import { ZDatabaseCredentialCreate, ZDatabaseCredentialRecord, ZDatabaseCredentialUpdate, zApiInput } from '@fulcrum/protocol';
import { z } from 'zod';
import { createDatabaseCredential, deleteDatabaseCredential, getDatabaseCredential, listDatabaseCredentials, updateDatabaseCredential } from '../services/database-credentials/database-credentials';
import { adminProcedure, router, viewerProcedure } from '../trpc';
import { ZOk } from './schemas';

const tags = ['database credentials'];

/** Admins write the logins database health checks use; everyone signed in may see which exist (never a password). */
export const databaseCredentialsRouter = router({
  list: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/credentials', protect: true, tags, summary: 'Database credentials for postgres/mysql health checks (passwords are never returned)' } })
    .input(zApiInput(z.object({}).strict()))
    .output(z.array(ZDatabaseCredentialRecord))
    .query(({ ctx }) => listDatabaseCredentials(ctx.prisma)),
  get: viewerProcedure
    .meta({ openapi: { method: 'GET', path: '/credentials/{id}', protect: true, tags, summary: 'One database credential, by id or name (no password)' } })
    .input(zApiInput(z.object({ id: z.string().min(1).max(64) }).strict()))
    .output(ZDatabaseCredentialRecord)
    .query(({ ctx, input }) => getDatabaseCredential(ctx.prisma, input.id)),
  create: adminProcedure
    .meta({ openapi: { method: 'POST', path: '/credentials', protect: true, tags, summary: 'Store a database credential; the password is sealed at rest (admin)' } })
    .input(zApiInput(ZDatabaseCredentialCreate))
    .output(ZDatabaseCredentialRecord)
    .mutation(({ ctx, input }) => createDatabaseCredential(ctx.prisma, input)),
  update: adminProcedure
    .meta({ openapi: { method: 'PUT', path: '/credentials/{id}', protect: true, tags, summary: 'Replace a database credential (admin; send the version you read; leave password out to keep it)' } })
    .input(zApiInput(ZDatabaseCredentialUpdate))
    .output(ZDatabaseCredentialRecord)
    .mutation(({ ctx, input }) => updateDatabaseCredential(ctx.prisma, input, { actor: ctx.actor })),
  delete: adminProcedure
    .meta({ openapi: { method: 'DELETE', path: '/credentials/{id}', protect: true, tags, summary: 'Remove a database credential no pool uses (admin)' } })
    .input(zApiInput(z.object({ id: z.string().min(1).max(64), expectedVersion: z.number().int().min(1).max(2_147_483_647) }).strict()))
    .output(ZOk)
    .mutation(async ({ ctx, input }) => {
      await deleteDatabaseCredential(ctx.prisma, input);
      return { ok: true as const };
    }),
});
