import { ZLogin, ZSetupAdmin, zApiInput } from '@fulcrum/protocol';
import { z } from 'zod';
import { login, needsSetup, setupFirstAdmin } from '../services/auth/auth';
import { clearedSessionCookie, deleteSession, sessionCookie } from '../services/auth/sessions';
import { publicProcedure, router, viewerProcedure } from '../trpc';
import { ZOk, ZUserSummary } from './schemas';

export const authRouter = router({
  status: publicProcedure.query(async ({ ctx }) => {
    const setup = await needsSetup(ctx.prisma);
    const user = ctx.actor?.kind === 'user' ? await ctx.prisma.user.findUnique({ where: { id: ctx.actor.id } }) : null;
    return { needsSetup: setup, user: user ? { id: user.id, email: user.email, name: user.name, role: user.role } : null };
  }),
  setup: publicProcedure
    .input(zApiInput(ZSetupAdmin))
    .output(ZUserSummary)
    .mutation(async ({ ctx, input }) => {
      const { user, session } = await setupFirstAdmin(ctx.prisma, input);
      ctx.resHeaders.append('set-cookie', sessionCookie(session.token, session.expiresAt, ctx.secure));
      return user;
    }),
  login: publicProcedure
    .input(zApiInput(ZLogin))
    .output(ZUserSummary)
    .mutation(async ({ ctx, input }) => {
      const { user, session } = await login(ctx.prisma, input.email, input.password, ctx.clientAddress);
      ctx.resHeaders.append('set-cookie', sessionCookie(session.token, session.expiresAt, ctx.secure));
      return user;
    }),
  logout: viewerProcedure
    .input(z.void())
    .output(ZOk)
    .mutation(async ({ ctx }) => {
      if (ctx.sessionToken) await deleteSession(ctx.prisma, ctx.sessionToken);
      ctx.resHeaders.append('set-cookie', clearedSessionCookie(ctx.secure));
      return { ok: true as const };
    }),
});
