import { ZUserCreate, ZUserUpdate, zApiInput } from '@fulcrum/protocol';
import { z } from 'zod';
import { createUser, deleteUser, listUsers, updateUser } from '../services/users/users';
import { adminProcedure, router } from '../trpc';
import { ZIdInput, ZOk, ZUserSummary } from './schemas';

export const usersRouter = router({
  list: adminProcedure
    .input(z.void())
    .output(z.array(ZUserSummary))
    .query(({ ctx }) => listUsers(ctx.prisma)),
  create: adminProcedure
    .input(zApiInput(ZUserCreate))
    .output(ZUserSummary)
    .mutation(({ ctx, input }) => createUser(ctx.prisma, input)),
  update: adminProcedure
    .input(zApiInput(ZUserUpdate))
    .output(ZUserSummary)
    .mutation(({ ctx, input }) => updateUser(ctx.prisma, input)),
  delete: adminProcedure
    .input(zApiInput(ZIdInput))
    .output(ZOk)
    .mutation(async ({ ctx, input }) => {
      await deleteUser(ctx.prisma, input.id);
      return { ok: true as const };
    }),
});
