import { randomUUID } from 'node:crypto';
import * as acme from 'acme-client';
import type { AcmeAccount, PrismaClient } from '@fulcrum/db';
import type { TAcmeAccount, TAcmeAccountCreate, TAcmeAccountDelete } from '@fulcrum/protocol';
import { AppError } from '../../errors';
import { controlPlaneSecrets } from '../../secrets/control-plane-secrets';
import { recordEvent } from '../events/events';
import { acmeErrorText } from './acme-error-text';
import { registerAcmeAccount } from './acme-order';
import type { AcmeOrderAccount } from './acme-order';

/** The SecretBox context an account key is sealed under (a sealed key copied into another row does not open). */
const accountKeyContext = (id: string) => `acme-account:${id}:key`;

type AccountRow = AcmeAccount & { certificates: { name: string }[] };

function toRecord(row: AccountRow): TAcmeAccount {
  return {
    id: row.id,
    name: row.name,
    directoryUrl: row.directoryUrl,
    email: row.email,
    accountUrl: row.accountUrl,
    privateDirectoryCa: row.directoryCaPem !== null,
    certificates: row.certificates.map((c) => c.name).sort(),
    createdAt: row.createdAt.toISOString(),
  };
}

const WITH_CERTIFICATES = { certificates: { select: { name: true } } } as const;

export async function findAcmeAccountRow(prisma: PrismaClient, idOrName: string, field = 'account'): Promise<AcmeAccount> {
  const row = await prisma.acmeAccount.findFirst({ where: { OR: [{ id: idOrName }, { name: idOrName }] } });
  if (!row) throw AppError.field(field, `no ACME account ${idOrName}`, 'NOT_FOUND');
  return row;
}

/** The account as an order uses it: the key opened from its sealed row. */
export function openAcmeAccount(row: AcmeAccount): AcmeOrderAccount {
  return { directoryUrl: row.directoryUrl, directoryCaPem: row.directoryCaPem, accountUrl: row.accountUrl, accountKey: controlPlaneSecrets().open(row.keySealed, accountKeyContext(row.id)) };
}

export async function listAcmeAccounts(prisma: PrismaClient): Promise<TAcmeAccount[]> {
  return (await prisma.acmeAccount.findMany({ orderBy: { name: 'asc' }, include: WITH_CERTIFICATES })).map(toRecord);
}

/**
 * Registers an account at the CA with a new P-256 key (agreeing to its terms, as the operator
 * did) and stores it with the key sealed. The CA refusing (or not answering) is a clear error
 * with its reason; nothing is stored then.
 */
export async function createAcmeAccount(prisma: PrismaClient, opts: { actor: { name: string }; input: TAcmeAccountCreate }): Promise<TAcmeAccount> {
  const { input } = opts;
  if (await prisma.acmeAccount.findUnique({ where: { name: input.name } })) throw AppError.field('name', `an ACME account named ${input.name} exists already`, 'CONFLICT');
  const accountKey = (await acme.crypto.createPrivateEcdsaKey('P-256')).toString();
  let accountUrl: string;
  try {
    accountUrl = await registerAcmeAccount({ directoryUrl: input.directoryUrl, directoryCaPem: input.directoryCa ?? null, email: input.email, accountKey });
  } catch (err) {
    throw AppError.field('directoryUrl', `the CA at ${input.directoryUrl} did not register the account: ${acmeErrorText(err)}`, 'UNAVAILABLE');
  }
  const id = randomUUID();
  const row = await prisma.acmeAccount.create({
    data: {
      id,
      name: input.name,
      directoryUrl: input.directoryUrl,
      email: input.email,
      accountUrl,
      keySealed: controlPlaneSecrets().seal(accountKey, accountKeyContext(id)),
      directoryCaPem: input.directoryCa ?? null,
    },
    include: WITH_CERTIFICATES,
  });
  await recordEvent(prisma, { kind: 'certificate_acme', message: `${opts.actor.name} registered ACME account ${row.name} at ${row.directoryUrl}` });
  return toRecord(row);
}

/** Deletes an account no certificate is renewed by (the CA keeps its side; the key is gone here). */
export async function deleteAcmeAccount(prisma: PrismaClient, opts: { actor: { name: string }; input: TAcmeAccountDelete }): Promise<void> {
  const row = await findAcmeAccountRow(prisma, opts.input.id, 'id');
  const users = await prisma.certificate.findMany({ where: { acmeAccountId: row.id }, select: { name: true } });
  if (users.length) throw AppError.field('id', `ACME account ${row.name} renews ${users.map((u) => u.name).join(', ')}: delete those certificates first`, 'CONFLICT');
  await prisma.acmeAccount.delete({ where: { id: row.id } });
  await recordEvent(prisma, { kind: 'certificate_acme', message: `${opts.actor.name} deleted ACME account ${row.name}` });
}
