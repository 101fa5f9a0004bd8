import { SESSION_COOKIE } from '@fulcrum/protocol';
import type { PrismaClient } from '@fulcrum/db';
import { apiEnv } from '../../env';
import type { Actor } from '../../trpc';
import { newSecret, sha256 } from './secrets';

export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;
/** A session's last use is written at most this often: the idle expiry needs no finer grain. */
const LAST_SEEN_WRITE_MS = 60_000;

export async function createSession(prisma: PrismaClient, userId: string): Promise<{ token: string; expiresAt: Date }> {
  const token = newSecret('');
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  await prisma.session.create({ data: { tokenHash: sha256(token), userId, expiresAt } });
  return { token, expiresAt };
}

/**
 * The user behind a session cookie, or null when the session is unknown, past its fixed expiry,
 * or idle longer than the idle timeout (then it is deleted). Each use slides the idle timeout.
 */
export async function actorFromSession(prisma: PrismaClient, token: string, idleMs = apiEnv.sessionIdleMs): Promise<Actor | null> {
  const session = await prisma.session.findUnique({ where: { tokenHash: sha256(token) }, include: { user: true } });
  const now = Date.now();
  if (!session || session.expiresAt.getTime() < now) return null;
  if (now - session.lastSeenAt.getTime() > idleMs) {
    await prisma.session.deleteMany({ where: { id: session.id } });
    return null;
  }
  if (now - session.lastSeenAt.getTime() > LAST_SEEN_WRITE_MS) {
    // Informative for the slide only; a failed write must not fail the request.
    await prisma.session.update({ where: { id: session.id }, data: { lastSeenAt: new Date(now) } }).catch(() => {});
  }
  return { kind: 'user', id: session.user.id, name: session.user.email, role: session.user.role };
}

export async function deleteSession(prisma: PrismaClient, token: string): Promise<void> {
  await prisma.session.deleteMany({ where: { tokenHash: sha256(token) } });
}

/** `secure`: the request came over HTTPS (directly or through a trusted proxy), so the cookie never travels in clear. */
export function sessionCookie(token: string, expiresAt: Date, secure = false): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Expires=${expiresAt.toUTCString()}${secure ? '; Secure' : ''}`;
}

export function clearedSessionCookie(secure = false): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0${secure ? '; Secure' : ''}`;
}

/**
 * A cookie's value, or undefined. A value that does not decode (`fulcrum_session=%`, which any
 * app on the same host can set) is skipped as if absent: it must not fail the request.
 */
export function readCookie(header: string | null, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      // malformed percent-encoding: try the next cookie of that name, if any
    }
  }
  return undefined;
}
