import type { TTokenRole } from '@fulcrum/protocol';
import type { PrismaClient } from '@fulcrum/db';
import { AppError } from '../../errors';
import { type Actor, ROLE_RANK } from '../../trpc';
import { newSecret, sha256 } from '../auth/secrets';

export const TOKEN_PREFIX = 'flc_';

export interface TokenSummary {
  id: string;
  name: string;
  role: TTokenRole;
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

type TokenRow = { id: string; name: string; role: TTokenRole; prefix: string; createdAt: Date; lastUsedAt: Date | null; expiresAt: Date | null; revokedAt: Date | null };

function toSummary(t: TokenRow): TokenSummary {
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    prefix: t.prefix,
    createdAt: t.createdAt.toISOString(),
    lastUsedAt: t.lastUsedAt?.toISOString() ?? null,
    expiresAt: t.expiresAt?.toISOString() ?? null,
    revokedAt: t.revokedAt?.toISOString() ?? null,
  };
}

export interface CreateApiTokenOptions {
  name: string;
  role: TTokenRole;
  expiresInDays?: number;
  createdById?: string;
}

/** The token itself is returned once; only its hash is kept. */
export async function createApiToken(prisma: PrismaClient, opts: CreateApiTokenOptions): Promise<TokenSummary & { token: string }> {
  const token = newSecret(TOKEN_PREFIX);
  const row = await prisma.apiToken.create({
    data: {
      name: opts.name,
      role: opts.role,
      tokenHash: sha256(token),
      prefix: token.slice(0, TOKEN_PREFIX.length + 6),
      createdById: opts.createdById,
      expiresAt: opts.expiresInDays ? new Date(Date.now() + opts.expiresInDays * 86_400_000) : null,
    },
  });
  return { ...toSummary(row), token };
}

/**
 * The user a new token answers to: the signed-in user, or for a token made with a token, that
 * token's own user (so a token cannot mint tokens that outrank its user's current role).
 */
export async function tokenOwnerId(prisma: PrismaClient, actor: Actor): Promise<string | undefined> {
  if (actor.kind === 'user') return actor.id;
  return (await prisma.apiToken.findUnique({ where: { id: actor.id }, select: { createdById: true } }))?.createdById ?? undefined;
}

export async function listApiTokens(prisma: PrismaClient): Promise<TokenSummary[]> {
  const rows = await prisma.apiToken.findMany({ orderBy: { createdAt: 'desc' } });
  return rows.map(toSummary);
}

export async function revokeApiToken(prisma: PrismaClient, id: string): Promise<void> {
  const res = await prisma.apiToken.updateMany({ where: { id, revokedAt: null }, data: { revokedAt: new Date() } });
  if (res.count === 0) throw new AppError('NOT_FOUND', 'no such active token');
}

/**
 * The actor behind a bearer token, or null when it is unknown, revoked or expired. A token made
 * by a user acts with at most that user's role now: demoting a user limits their tokens (and
 * deleting one revokes them, see deleteUser).
 */
export async function actorFromApiToken(prisma: PrismaClient, token: string): Promise<Actor | null> {
  if (!token.startsWith(TOKEN_PREFIX)) return null;
  const row = await prisma.apiToken.findUnique({ where: { tokenHash: sha256(token) }, include: { createdBy: { select: { role: true } } } });
  if (!row || row.revokedAt || (row.expiresAt && row.expiresAt < new Date())) return null;
  // Last use is informative; a failed update must not fail the request.
  void prisma.apiToken.update({ where: { id: row.id }, data: { lastUsedAt: new Date() } }).catch(() => {});
  const cap = row.createdBy?.role;
  const role = row.role === 'dataplane' || !cap || ROLE_RANK[cap] >= ROLE_RANK[row.role] ? row.role : cap;
  return { kind: 'token', id: row.id, name: `token:${row.name}`, role };
}
