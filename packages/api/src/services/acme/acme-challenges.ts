import { CHANNEL_ACME, LOCK_ID, type PrismaClient, notify } from '@fulcrum/db';
import { ACME_MAX_PENDING_CHALLENGES, type TAcmeChallengeSet, ZAcmeChallenge } from '@fulcrum/protocol';
import { AppError } from '../../errors';

/** A challenge left behind by a crashed order stops being answered after this. */
const CHALLENGE_TTL_MS = 15 * 60_000;

/**
 * Publishes a challenge the CA handed out: stored (so every replica's hub sends it to its data
 * planes), announced by NOTIFY, and returns its seq. A token or key authorization that is not
 * base64url (a hostile or broken CA) is refused here, before any data plane sees it.
 */
export async function publishAcmeChallenge(prisma: PrismaClient, challenge: { token: string; keyAuthorization: string }): Promise<number> {
  const parsed = ZAcmeChallenge.safeParse(challenge);
  if (!parsed.success) throw new Error(`the CA sent a challenge this control plane will not serve: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return prisma.$transaction(async (tx) => {
    // Serialized: seqs commit in order, so a data plane that acked seq n holds every challenge up to n.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${LOCK_ID.acmeChallenges})`;
    await tx.acmeChallenge.deleteMany({ where: { expiresAt: { lt: new Date() } } });
    if ((await tx.acmeChallenge.count()) >= ACME_MAX_PENDING_CHALLENGES) {
      throw new AppError('TOO_MANY_REQUESTS', `${ACME_MAX_PENDING_CHALLENGES} ACME challenges are pending already; try again when the running orders end`, undefined, 60);
    }
    const row = await tx.acmeChallenge.upsert({
      where: { token: parsed.data.token },
      create: { ...parsed.data, expiresAt: new Date(Date.now() + CHALLENGE_TTL_MS) },
      update: { keyAuthorization: parsed.data.keyAuthorization, expiresAt: new Date(Date.now() + CHALLENGE_TTL_MS) },
    });
    await notify(tx, CHANNEL_ACME, String(row.seq));
    return row.seq;
  });
}

/** Takes a challenge off every data plane (the order is over, valid or not). */
export async function withdrawAcmeChallenge(prisma: PrismaClient, token: string): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const res = await tx.acmeChallenge.deleteMany({ where: { token } });
    if (res.count) await notify(tx, CHANNEL_ACME, 'withdrawn');
  });
}

/** The set data planes answer now (unexpired challenges), as the link carries it. */
export async function currentAcmeChallengeSet(prisma: PrismaClient): Promise<TAcmeChallengeSet> {
  const rows = await prisma.acmeChallenge.findMany({
    where: { expiresAt: { gt: new Date() } },
    orderBy: { seq: 'asc' },
    take: ACME_MAX_PENDING_CHALLENGES,
    select: { token: true, keyAuthorization: true, seq: true },
  });
  return { seq: rows.reduce((m, r) => Math.max(m, r.seq), 0), challenges: rows.map(({ token, keyAuthorization }) => ({ token, keyAuthorization })) };
}

/**
 * Waits until every connected data plane has said it answers challenge `seq` (through whichever
 * replica holds its link), so the CA is asked to validate only once the answer is out there.
 * Returns the data planes that had not by the deadline (the CA may then still reach another).
 */
export async function waitForDataplanes(prisma: PrismaClient, seq: number, deadlineMs: number): Promise<string[]> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const behind = await prisma.dataplane.findMany({ where: { connected: true, OR: [{ acmeChallengesSeq: null }, { acmeChallengesSeq: { lt: seq } }] }, select: { name: true } });
    if (behind.length === 0 || Date.now() >= until) return behind.map((d) => d.name);
    await new Promise((r) => setTimeout(r, 100));
  }
}
