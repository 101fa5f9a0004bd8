import { SESSION_COOKIE } from '@fulcrum/protocol';
import type { PrismaClient } from '@fulcrum/db';
import type { Actor } from '../../trpc';
import { newSecret, sha256 } from './secrets';

export const SESSION_TTL_MS = 7 * 24 * 3600 * 1000;

export async function createSession(prisma: PrismaClient, userId: string): Promise<{ token: string; expiresAt: Date }> {
  const token = newSecret('');
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  await prisma.session.create({ data: { tokenHash: sha256(token), userId, expiresAt } });
  return { token, expiresAt };
}

export async function actorFromSession(prisma: PrismaClient, token: string): Promise<Actor | null> {
  const session = await prisma.session.findUnique({ where: { tokenHash: sha256(token) }, include: { user: true } });
  if (!session || session.expiresAt < new Date()) return null;
  return { kind: 'user', id: session.user.id, name: session.user.email, role: session.user.role };
}

export async function deleteSession(prisma: PrismaClient, token: string): Promise<void> {
  await prisma.session.deleteMany({ where: { tokenHash: sha256(token) } });
}

export function sessionCookie(token: string, expiresAt: Date): string {
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Expires=${expiresAt.toUTCString()}`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
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
