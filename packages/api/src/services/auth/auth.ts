import { LOCK_NAME, type PrismaClient } from '@fulcrum/db';
import { AppError } from '../../errors';
import { type UserSummary, toUserSummary } from '../users/users';
import { hashPassword, needsRehash, verifyPassword } from './secrets';
import { assertLoginAllowed, recordLoginFailure, recordLoginSuccess } from './login-throttle';
import { createSession } from './sessions';

export async function needsSetup(prisma: PrismaClient): Promise<boolean> {
  return (await prisma.user.count()) === 0;
}

export interface SetupAdminOptions {
  email: string;
  name: string;
  password: string;
}

/**
 * Creates the first admin, only while there is no user at all. The check and the insert run
 * under one advisory lock so two racing first visitors cannot both become admin.
 */
export async function setupFirstAdmin(prisma: PrismaClient, opts: SetupAdminOptions): Promise<{ user: UserSummary; session: { token: string; expiresAt: Date } }> {
  const passwordHash = await hashPassword(opts.password);
  const user = await prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${LOCK_NAME.firstAdmin}))`;
    if ((await tx.user.count()) > 0) throw new AppError('CONFLICT', 'the first admin already exists; sign in instead');
    return tx.user.create({ data: { email: opts.email, name: opts.name, role: 'admin', passwordHash } });
  });
  return { user: toUserSummary(user), session: await createSession(prisma, user.id) };
}

// An unknown email costs the same scrypt as a known one, so timing does not tell them apart.
let dummyHash: Promise<string> | undefined;

/**
 * Throttled per account and per client address (login-throttle.ts); an unknown account is
 * checked, counted and timed exactly like a wrong password.
 */
export async function login(prisma: PrismaClient, email: string, password: string, clientAddress?: string): Promise<{ user: UserSummary; session: { token: string; expiresAt: Date } }> {
  await assertLoginAllowed(prisma, email, clientAddress);
  const user = await prisma.user.findUnique({ where: { email } });
  const valid = await verifyPassword(password, user?.passwordHash ?? (await (dummyHash ??= hashPassword('not a password'))));
  if (!user || !valid) {
    await recordLoginFailure(prisma, email, clientAddress);
    throw new AppError('UNAUTHORIZED', 'wrong email or password');
  }
  await recordLoginSuccess(prisma, email);
  // Hashes made with older, weaker parameters are upgraded while the password is at hand.
  if (needsRehash(user.passwordHash)) {
    const upgraded = await hashPassword(password);
    await prisma.user.updateMany({ where: { id: user.id, passwordHash: user.passwordHash }, data: { passwordHash: upgraded } });
  }
  return { user: toUserSummary(user), session: await createSession(prisma, user.id) };
}
