import type { TTokenRole } from '@fulcrum/protocol';
import type { PrismaClient } from '@fulcrum/db';
import { TRPCError, initTRPC } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { asTRPCError, toPublicError } from './error-format';

export interface Actor {
  kind: 'user' | 'token';
  id: string;
  name: string;
  role: TTokenRole;
}

export interface Context {
  prisma: PrismaClient;
  actor: Actor | null;
  /** Headers to add to the response (Set-Cookie on login and logout). */
  resHeaders: Headers;
  /** The raw session token from the cookie, for logout. */
  sessionToken?: string;
  /** The request came over HTTPS (directly or through a trusted proxy): cookies get `Secure`. */
  secure?: boolean;
  /** The connection's peer address (login throttling), when the transport knows it. */
  clientAddress?: string;
}

const t = initTRPC
  .context<Context>()
  .meta<OpenApiMeta>()
  .create({
    // Stacks never leave the process; toPublicError logs them with a request id instead.
    isDev: false,
    errorFormatter({ shape, error }) {
      const { code, httpStatus, message, fieldErrors, requestId } = toPublicError(error);
      return { ...shape, message, data: { code, httpStatus, path: shape.data.path, fieldErrors, requestId } };
    },
  });

/** Maps AppErrors, database errors users can cause and database outages to tRPC errors; the rest stay 500s. */
const errorMapping = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) (result as { error: TRPCError }).error = asTRPCError(result.error);
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(errorMapping);

export const ROLE_RANK: Record<TTokenRole, number> = { dataplane: 0, viewer: 1, operator: 2, admin: 3 };

function requireRole(min: Exclude<TTokenRole, 'dataplane'>) {
  return t.middleware(({ ctx, next }) => {
    if (!ctx.actor) throw new TRPCError({ code: 'UNAUTHORIZED', message: 'sign in or send an API token' });
    if (ROLE_RANK[ctx.actor.role] < ROLE_RANK[min]) {
      throw new TRPCError({ code: 'FORBIDDEN', message: `this needs the ${min} role; you have ${ctx.actor.role}` });
    }
    return next({ ctx: { ...ctx, actor: ctx.actor } });
  });
}

export const viewerProcedure = publicProcedure.use(requireRole('viewer'));
export const operatorProcedure = publicProcedure.use(requireRole('operator'));
export const adminProcedure = publicProcedure.use(requireRole('admin'));
