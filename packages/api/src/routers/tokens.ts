import { ZTokenCreate, zApiInput } from '@fulcrum/protocol';
import { z } from 'zod';
import { createApiToken, listApiTokens, revokeApiToken, tokenOwnerId } from '../services/tokens/api-tokens';
import { adminProcedure, router } from '../trpc';
import { ZIdInput, ZOk } from './schemas';

const ZTokenSummary = z.object({
  id: z.string(),
  name: z.string(),
  role: z.string(),
  prefix: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

export const tokensRouter = router({
  list: adminProcedure
    .input(z.void())
    .output(z.array(ZTokenSummary))
    .query(({ ctx }) => listApiTokens(ctx.prisma)),
  create: adminProcedure
    .input(zApiInput(ZTokenCreate))
    .output(ZTokenSummary.extend({ token: z.string() }))
    .mutation(async ({ ctx, input }) => createApiToken(ctx.prisma, { ...input, createdById: await tokenOwnerId(ctx.prisma, ctx.actor) })),
  revoke: adminProcedure
    .input(zApiInput(ZIdInput))
    .output(ZOk)
    .mutation(async ({ ctx, input }) => {
      await revokeApiToken(ctx.prisma, input.id);
      return { ok: true as const };
    }),
});
