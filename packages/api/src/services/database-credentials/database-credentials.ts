import type { DatabaseCredential, Prisma, PrismaClient } from '@fulcrum/db';
import type { TDatabaseCredentialCreate, TDatabaseCredentialRecord, TDatabaseCredentialUpdate, THealthCheck } from '@fulcrum/protocol';
import { AppError } from '../../errors';
import { controlPlaneSecrets } from '../../secrets/control-plane-secrets';
import type { SecretBox } from '../../secrets/secret-box';
import type { Actor } from '../../trpc';
import { staleError } from '../pools/pools';
import { commitChange } from '../revisions/commit-change';

/** What a sealed password is bound to: a value copied into another row does not open there. */
export const credentialPasswordContext = (id: string) => `credential:${id}:password`;

type Db = Pick<PrismaClient, '$queryRaw'>;

/** Names of the pools whose health check logs in with each credential. */
async function usersOf(db: Db, ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  if (!ids.length) return out;
  const rows = await db.$queryRaw<{ name: string; credentialId: string }[]>`
    SELECT name, "healthCheck"->'database'->>'credentialId' AS "credentialId" FROM "Pool"
    WHERE "healthCheck"->'database'->>'credentialId' = ANY(${ids}) ORDER BY name`;
  for (const r of rows) out.get(r.credentialId)?.push(r.name);
  return out;
}

/** The password never leaves the server: a record has no field for it. */
function toRecord(row: DatabaseCredential, usedBy: string[]): TDatabaseCredentialRecord {
  return { id: row.id, name: row.name, user: row.user, usedBy, version: row.version, createdAt: row.createdAt.toISOString(), updatedAt: row.updatedAt.toISOString() };
}

async function findRow(prisma: PrismaClient, idOrName: string): Promise<DatabaseCredential> {
  const row = await prisma.databaseCredential.findFirst({ where: { OR: [{ id: idOrName }, { name: idOrName }] } });
  if (!row) throw new AppError('NOT_FOUND', `no database credential ${idOrName}`);
  return row;
}

export async function listDatabaseCredentials(prisma: PrismaClient): Promise<TDatabaseCredentialRecord[]> {
  const rows = await prisma.databaseCredential.findMany({ orderBy: { name: 'asc' } });
  const users = await usersOf(
    prisma,
    rows.map((r) => r.id),
  );
  return rows.map((r) => toRecord(r, users.get(r.id) ?? []));
}

export async function getDatabaseCredential(prisma: PrismaClient, idOrName: string): Promise<TDatabaseCredentialRecord> {
  const row = await findRow(prisma, idOrName);
  return toRecord(row, (await usersOf(prisma, [row.id])).get(row.id) ?? []);
}

/** The row's id is part of what the password is sealed to, so the row is made first and sealed in the same transaction. */
export async function createDatabaseCredential(prisma: PrismaClient, input: TDatabaseCredentialCreate, box: SecretBox = controlPlaneSecrets()): Promise<TDatabaseCredentialRecord> {
  const row = await prisma.$transaction(async (tx) => {
    const made = await tx.databaseCredential.create({ data: { name: input.name, user: input.user, password: '' } });
    return tx.databaseCredential.update({ where: { id: made.id }, data: { password: box.seal(input.password, credentialPasswordContext(made.id)) } });
  });
  return toRecord(row, []);
}

/**
 * Replaces a credential. A new password for a credential in use is committed with a revision, so
 * every data plane gets it at once (the snapshot it is sent carries the new password and so a new
 * hash); without one they would keep logging in with the old password until the next change.
 */
export async function updateDatabaseCredential(prisma: PrismaClient, input: TDatabaseCredentialUpdate, opts: { actor: Pick<Actor, 'name'>; box?: SecretBox }): Promise<TDatabaseCredentialRecord> {
  const box = opts.box ?? controlPlaneSecrets();
  const write = async (db: Prisma.TransactionClient | PrismaClient) => {
    const res = await db.databaseCredential.updateMany({
      where: { id: input.id, version: input.expectedVersion },
      data: { name: input.name, user: input.user, ...(input.password === undefined ? {} : { password: box.seal(input.password, credentialPasswordContext(input.id)) }), version: { increment: 1 } },
    });
    if (res.count > 0) return;
    const current = await db.databaseCredential.findUnique({ where: { id: input.id } });
    if (!current) throw new AppError('NOT_FOUND', `no database credential ${input.id}`);
    throw staleError('database credential', current.version);
  };
  const users = (await usersOf(prisma, [input.id])).get(input.id) ?? [];
  if (input.password !== undefined && users.length) {
    await commitChange(prisma, { actor: opts.actor, message: `new password for database credential ${input.name}, used by pool(s) ${users.join(', ')}` }, write);
  } else await write(prisma);
  return getDatabaseCredential(prisma, input.id);
}

/** A credential a pool's check logs in with cannot go: the next snapshot could not be sent. */
export async function deleteDatabaseCredential(prisma: PrismaClient, { id, expectedVersion }: { id: string; expectedVersion: number }): Promise<void> {
  await prisma.$transaction(async (tx) => {
    // Locked first: a pool saved meanwhile (which locks it FOR SHARE) is either seen below or refused.
    const [current] = await tx.$queryRaw<DatabaseCredential[]>`SELECT * FROM "DatabaseCredential" WHERE id = ${id} FOR UPDATE`;
    if (!current) throw new AppError('NOT_FOUND', `no database credential ${id}`);
    const users = (await usersOf(tx, [id])).get(id) ?? [];
    if (users.length) throw new AppError('CONFLICT', `database credential ${current.name} is used by the health check of pool(s) ${users.join(', ')}; point them at another credential first`);
    const res = await tx.databaseCredential.deleteMany({ where: { id, version: expectedVersion } });
    if (res.count === 0) throw staleError('database credential', current.version);
  });
}

/**
 * A pool's database check must name a credential that exists (else its next snapshot could not be
 * sent); the row stays locked until the pool's change commits, so it cannot be deleted meanwhile.
 */
export async function assertCredentialUsable(tx: Prisma.TransactionClient, healthCheck: Pick<THealthCheck, 'database'>): Promise<void> {
  const id = healthCheck.database?.credentialId;
  if (id === undefined) return;
  const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM "DatabaseCredential" WHERE id = ${id} FOR SHARE`;
  if (!rows.length) throw AppError.field('healthCheck.database.credentialId', `no database credential ${id}; an admin adds it (fulcrumctl credentials create)`);
}

/** Opens the passwords of these credentials (for the snapshot the hub sends); throws naming one that cannot be opened. */
export async function openCredentialPasswords(prisma: PrismaClient, ids: string[], box: SecretBox = controlPlaneSecrets()): Promise<Map<string, string>> {
  const rows = await prisma.databaseCredential.findMany({ where: { id: { in: ids } } });
  const out = new Map<string, string>();
  for (const row of rows) {
    try {
      out.set(row.id, box.open(row.password, credentialPasswordContext(row.id)));
    } catch (err) {
      throw new Error(`database credential ${row.name}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  return out;
}
