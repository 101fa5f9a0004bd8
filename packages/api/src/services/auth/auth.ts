import type { PrismaClient } from '@fulcrum/db';
import { AppError } from '../../errors';
import { type UserSummary, toUserSummary } from '../users/users';
import { hashPassword, needsRehash, verifyPassword } from './secrets';
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
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext('fulcrum_first_admin'))`;
    if ((await tx.user.count()) > 0) throw new AppError('CONFLICT', 'the first admin already exists; sign in instead');
    return tx.user.create({ data: { email: opts.email, name: opts.name, role: 'admin', passwordHash } });
  });
  return { user: toUserSummary(user), session: await createSession(prisma, user.id) };
}

export async function login(prisma: PrismaClient, email: string, password: string): Promise<{ user: UserSummary; session: { token: string; expiresAt: Date } }> {
  const user = await prisma.user.findUnique({ where: { email } });
  if (!user || !(await verifyPassword(password, user.passwordHash))) {
    throw new AppError('UNAUTHORIZED', 'wrong email or password');
  }
  // Hashes made with older, weaker parameters are upgraded while the password is at hand.
  if (needsRehash(user.passwordHash)) {
    const upgraded = await hashPassword(password);
    await prisma.user.updateMany({ where: { id: user.id, passwordHash: user.passwordHash }, data: { passwordHash: upgraded } });
  }
  return { user: toUserSummary(user), session: await createSession(prisma, user.id) };
}
