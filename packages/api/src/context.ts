import { SESSION_COOKIE } from '@fulcrum/protocol';
import type { PrismaClient } from '@fulcrum/db';
import { asTRPCError } from './error-format';
import { actorFromSession, readCookie } from './services/auth/sessions';
import { actorFromApiToken } from './services/tokens/api-tokens';
import type { Actor, Context } from './trpc';

export interface CreateContextOptions {
  headers: Headers;
  resHeaders: Headers;
  prisma: PrismaClient;
  /** The transport's word that the request came over HTTPS (directly or via a trusted proxy). */
  secure?: boolean;
  /** The peer address of the connection, for per-address login throttling. */
  clientAddress?: string;
}

/**
 * Who is calling: a bearer API token (CI, scripts) or the session cookie (the dashboard).
 * Data-plane tokens authenticate only the WebSocket link, never the API.
 */
export async function createContext({ headers, resHeaders, prisma, secure = false, clientAddress }: CreateContextOptions): Promise<Context> {
  const auth = headers.get('authorization');
  let actor: Actor | null = null;
  const sessionToken = readCookie(headers.get('cookie'), SESSION_COOKIE);
  try {
    if (auth?.toLowerCase().startsWith('bearer ')) {
      actor = await actorFromApiToken(prisma, auth.slice(7).trim());
    } else if (sessionToken) {
      actor = await actorFromSession(prisma, sessionToken);
    }
  } catch (err) {
    // Runs before any procedure (and its error mapping): a database outage here is a 503 too.
    throw asTRPCError(err);
  }
  if (actor?.role === 'dataplane') actor = null;
  return { prisma, actor, resHeaders, sessionToken, secure, clientAddress };
}
