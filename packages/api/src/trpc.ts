import { type TFieldErrors, type TTokenRole, flattenZodIssues } from '@fulcrum/protocol';
import type { PrismaClient } from '@fulcrum/db';
import { TRPCError, initTRPC } from '@trpc/server';
import type { OpenApiMeta } from 'trpc-to-openapi';
import { ZodError } from 'zod';
import { AppError, fromDatabaseError, toTRPCError } from './errors';

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
}

const t = initTRPC
  .context<Context>()
  .meta<OpenApiMeta>()
  .create({
    errorFormatter({ shape, error }) {
      const cause = error.cause;
      let fieldErrors: TFieldErrors | undefined;
      if (cause instanceof ZodError) fieldErrors = flattenZodIssues(cause.issues);
      else if (cause instanceof AppError) fieldErrors = cause.fieldErrors;
      const message = cause instanceof ZodError ? describeZodError(fieldErrors ?? {}) : shape.message;
      return { ...shape, message, data: { ...shape.data, fieldErrors: fieldErrors ?? null } };
    },
  });

/** "listenPort: port must be between 1 and 65535" — the field named first, for API users. */
function describeZodError(fields: TFieldErrors): string {
  return (
    Object.entries(fields)
      .map(([k, msgs]) => (k === '_' ? msgs.join('; ') : `${k}: ${msgs.join('; ')}`))
      .join('; ') || 'invalid input'
  );
}

/** Maps AppErrors and database errors users can cause to tRPC errors; the rest stay 500s. */
const errorMapping = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    const mapped = cause instanceof AppError ? cause : fromDatabaseError(cause);
    if (mapped instanceof AppError) {
      (result as { error: TRPCError }).error = toTRPCError(mapped);
    }
  }
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
