import type { PrismaClient } from '@fulcrum/db';
import { RateLimiterPrisma, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../../errors';

/**
 * Failed sign-ins allowed per window, per account (whatever address the guesses come from) and
 * per client address (whatever accounts it tries). Past either, sign-in answers 429 with
 * Retry-After until the window ends, even for the right password. A success clears the
 * account's count.
 */
export const LOGIN_LIMITS = {
  perAccount: { points: 10, duration: 15 * 60 },
  perAddress: { points: 50, duration: 15 * 60 },
} as const;

interface Limiters {
  account: RateLimiterPrisma;
  address: RateLimiterPrisma;
}

// rate-limiter-flexible's PostgreSQL store through our own Prisma client (the LoginThrottle
// table), so every control-plane replica counts the same failures.
const byClient = new WeakMap<PrismaClient, Limiters>();

function limiters(prisma: PrismaClient): Limiters {
  let l = byClient.get(prisma);
  if (!l) {
    const make = (keyPrefix: string, opts: { points: number; duration: number }) =>
      new RateLimiterPrisma({ storeClient: prisma, tableName: 'loginThrottle', keyPrefix, ...opts, blockDuration: opts.duration });
    l = { account: make('login_account', LOGIN_LIMITS.perAccount), address: make('login_address', LOGIN_LIMITS.perAddress) };
    byClient.set(prisma, l);
  }
  return l;
}

function blockedFor(res: RateLimiterRes | null, points: number): number {
  return res && res.consumedPoints >= points ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : 0;
}

/** Refuses (429) while the account or the address has used up its failed attempts. */
export async function assertLoginAllowed(prisma: PrismaClient, email: string, address: string | undefined): Promise<void> {
  const { account, address: byAddress } = limiters(prisma);
  const [a, b] = await Promise.all([account.get(email), address ? byAddress.get(address) : null]);
  const wait = Math.max(blockedFor(a, LOGIN_LIMITS.perAccount.points), blockedFor(b, LOGIN_LIMITS.perAddress.points));
  if (wait > 0) throw new AppError('TOO_MANY_REQUESTS', `too many failed sign-ins; try again in ${wait} s`, undefined, wait);
}

/** Counts a failed attempt against the account and the address. */
export async function recordLoginFailure(prisma: PrismaClient, email: string, address: string | undefined): Promise<void> {
  const { account, address: byAddress } = limiters(prisma);
  // consume() rejects with a RateLimiterRes once over the limit: that is the expected outcome here.
  const swallowLimit = (err: unknown) => {
    if (!(err instanceof RateLimiterRes)) throw err;
  };
  await Promise.all([account.consume(email).catch(swallowLimit), address ? byAddress.consume(address).catch(swallowLimit) : undefined]);
}

export async function recordLoginSuccess(prisma: PrismaClient, email: string): Promise<void> {
  await limiters(prisma).account.delete(email);
}
