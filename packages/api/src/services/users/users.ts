import type { TRole } from '@fulcrum/protocol';
import { LOCK_NAME, type PrismaClient } from '@fulcrum/db';
import { AppError } from '../../errors';
import { hashPassword } from '../auth/secrets';

export interface UserSummary {
  id: string;
  email: string;
  name: string;
  role: TRole;
  createdAt: string;
}

export function toUserSummary(u: { id: string; email: string; name: string; role: string; createdAt: Date }): UserSummary {
  return { id: u.id, email: u.email, name: u.name, role: u.role as TRole, createdAt: u.createdAt.toISOString() };
}

export async function listUsers(prisma: PrismaClient): Promise<UserSummary[]> {
  return (await prisma.user.findMany({ orderBy: { createdAt: 'asc' } })).map(toUserSummary);
}

export interface CreateUserOptions {
  email: string;
  name: string;
  password: string;
  role: TRole;
}

export async function createUser(prisma: PrismaClient, opts: CreateUserOptions): Promise<UserSummary> {
  const user = await prisma.user.create({ data: { email: opts.email, name: opts.name, role: opts.role, passwordHash: await hashPassword(opts.password) } });
  return toUserSummary(user);
}

export interface UpdateUserOptions {
  id: string;
  role?: TRole;
  name?: string;
  password?: string;
}

/**
 * Role changes and deletions of users serialize on one transaction-scoped advisory lock, taken
 * before the user is read: two admins demoted at once would otherwise each count the other as
 * the admin that remains, and both commit.
 */
async function lockAdmins(tx: Pick<PrismaClient, '$executeRaw'>): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${LOCK_NAME.adminRoles}))`;
}

/** Role changes and deletions never leave the system without an admin (call under lockAdmins). */
async function assertAdminRemains(tx: Pick<PrismaClient, 'user'>, userId: string): Promise<void> {
  const admins = await tx.user.count({ where: { role: 'admin', id: { not: userId } } });
  if (admins === 0) throw new AppError('CONFLICT', 'this is the last admin; make someone else admin first');
}

export async function updateUser(prisma: PrismaClient, opts: UpdateUserOptions): Promise<UserSummary> {
  // Hashed before the lock: scrypt takes a moment that other role changes need not wait for.
  const passwordHash = opts.password ? await hashPassword(opts.password) : undefined;
  return prisma.$transaction(async (tx) => {
    await lockAdmins(tx);
    const current = await tx.user.findUnique({ where: { id: opts.id } });
    if (!current) throw new AppError('NOT_FOUND', 'no such user');
    if (current.role === 'admin' && opts.role && opts.role !== 'admin') await assertAdminRemains(tx, opts.id);
    const user = await tx.user.update({
      where: { id: opts.id },
      data: { role: opts.role, name: opts.name, passwordHash },
    });
    if (opts.password || (opts.role && opts.role !== current.role)) await tx.session.deleteMany({ where: { userId: opts.id } });
    return toUserSummary(user);
  });
}

export async function deleteUser(prisma: PrismaClient, id: string): Promise<void> {
  await prisma.$transaction(async (tx) => {
    await lockAdmins(tx);
    const current = await tx.user.findUnique({ where: { id } });
    if (!current) throw new AppError('NOT_FOUND', 'no such user');
    if (current.role === 'admin') await assertAdminRemains(tx, id);
    // Their tokens go with them: once the user is gone nothing would cap the tokens' role.
    await tx.apiToken.updateMany({ where: { createdById: id, revokedAt: null }, data: { revokedAt: new Date() } });
    await tx.user.delete({ where: { id } });
  });
}
