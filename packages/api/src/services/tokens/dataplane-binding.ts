import { LOCK_NAME, type PrismaClient } from '@fulcrum/db';

export type TBindingResult = { ok: true } | { ok: false; reason: string };

const usable = (t: { revokedAt: Date | null; expiresAt: Date | null }, now: Date) => !t.revokedAt && !(t.expiresAt && t.expiresAt < now);

/**
 * A dataplane token speaks for one data plane: the id it first says hello with is recorded on
 * the token, and from then on the token may say hello only as that id, and no other usable
 * token may take the id. A revoked or expired token gives its id up, so a data plane keeps its
 * id across a token rotation. One lock serializes bindings, so two tokens racing for one id
 * cannot both win.
 */
export async function bindDataplaneToken(prisma: PrismaClient, tokenId: string, dataplaneId: string): Promise<TBindingResult> {
  return prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${LOCK_NAME.dataplaneBinding}))`;
    const now = new Date();
    const token = await tx.apiToken.findUnique({ where: { id: tokenId } });
    if (token?.role !== 'dataplane' || !usable(token, now)) return { ok: false, reason: 'unknown, revoked or expired token' };
    if (token.dataplaneId === dataplaneId) return { ok: true };
    if (token.dataplaneId) return { ok: false, reason: `this token belongs to data plane ${token.dataplaneId}; give each data plane its own token` };
    const holder = await tx.apiToken.findUnique({ where: { dataplaneId } });
    if (holder && usable(holder, now)) return { ok: false, reason: `data plane id ${dataplaneId} belongs to another token` };
    if (holder) await tx.apiToken.update({ where: { id: holder.id }, data: { dataplaneId: null } });
    await tx.apiToken.update({ where: { id: tokenId }, data: { dataplaneId } });
    return { ok: true };
  });
}
