import { randomUUID } from 'node:crypto';
import type { Certificate, Prisma, PrismaClient } from '@fulcrum/db';
import { ACME_RENEW_BEFORE_DAYS_DEFAULT, type TCertificate, type TCertificateDelete, type TCertificateRotate, type TCertificateUpload, type TConfigSnapshot } from '@fulcrum/protocol';
import { AppError } from '../../errors';
import { controlPlaneSecrets } from '../../secrets/control-plane-secrets';
import type { Actor } from '../../trpc';
import { commitChange } from '../revisions/commit-change';
import { getCurrentSnapshot } from '../revisions/revisions';
import { type ParsedCertificate, parseCertificateUpload } from './parse-certificate';

type Db = PrismaClient | Prisma.TransactionClient;
/** A row with the name of the ACME account that manages it (if one does). */
type CertificateRow = Certificate & { acmeAccount: { name: string } | null };
const WITH_ACCOUNT = { acmeAccount: { select: { name: true } } } as const;
const DAY_MS = 86_400_000;

/** The columns a checked chain and key fill, the key sealed under the row's own context (upload, rotation, ACME issuance and renewal alike). */
function certificateColumns(parsed: ParsedCertificate, id: string) {
  return {
    chainPem: parsed.chain,
    keySealed: controlPlaneSecrets().seal(parsed.key, certificateKeyContext(id)),
    names: parsed.names,
    notBefore: parsed.notBefore,
    notAfter: parsed.notAfter,
    fingerprint: parsed.fingerprint,
    keyType: parsed.keyType,
    issuer: parsed.issuer,
  };
}

/** Creates a certificate under a name no other certificate has; `extra` adds columns (ACME management). */
export async function createCertificateRow(
  tx: Db,
  row: { name: string; parsed: ParsedCertificate; extra?: Omit<Prisma.CertificateUncheckedCreateInput, 'id' | 'name' | keyof ReturnType<typeof certificateColumns>> },
): Promise<CertificateRow> {
  if (await tx.certificate.findUnique({ where: { name: row.name } })) throw AppError.field('name', `a certificate named ${row.name} exists already; rotate it, or pick another name`, 'CONFLICT');
  const id = randomUUID();
  return tx.certificate.create({ data: { id, name: row.name, ...certificateColumns(row.parsed, id), ...row.extra }, include: WITH_ACCOUNT });
}

/**
 * Puts a new chain and key under a certificate's id (listeners keep naming it) and bumps its
 * version: data planes build a new TLS context for new handshakes, open connections stay.
 */
export function replaceCertificateChain(
  tx: Db,
  id: string,
  parsed: ParsedCertificate,
  extra: Omit<Prisma.CertificateUncheckedUpdateInput, 'version' | keyof ReturnType<typeof certificateColumns>> = {},
): Promise<CertificateRow> {
  return tx.certificate.update({ where: { id }, data: { ...certificateColumns(parsed, id), version: { increment: 1 }, ...extra }, include: WITH_ACCOUNT });
}

/** When the renewal loop takes an ACME certificate: its window's start, or later while a failure backs off. */
export function acmeRenewAfter(row: Pick<Certificate, 'notAfter' | 'acmeRenewBeforeDays' | 'acmeNextAttemptAt'>): Date {
  const window = new Date(row.notAfter.getTime() - (row.acmeRenewBeforeDays ?? ACME_RENEW_BEFORE_DAYS_DEFAULT) * DAY_MS);
  return row.acmeNextAttemptAt && row.acmeNextAttemptAt > window ? row.acmeNextAttemptAt : window;
}

/** The SecretBox context a certificate's key is sealed under: a sealed key copied into another row does not open. */
export const certificateKeyContext = (id: string) => `certificate:${id}:key`;

/** Names of the listeners in a configuration that serve a certificate. */
export function listenersUsing(snapshot: Pick<TConfigSnapshot, 'listeners'> | null, certificateId: string): string[] {
  return (snapshot?.listeners ?? []).filter((l) => l.tls?.certificateIds.includes(certificateId)).map((l) => l.name);
}

/** The API's view: facts and the public chain; the sealed key never leaves this module. */
export function toRecord(row: CertificateRow, usedBy: string[]): TCertificate {
  return {
    id: row.id,
    name: row.name,
    names: row.names,
    notBefore: row.notBefore.toISOString(),
    notAfter: row.notAfter.toISOString(),
    fingerprint: row.fingerprint,
    keyType: row.keyType,
    issuer: row.issuer,
    version: row.version,
    chain: row.chainPem,
    usedBy,
    acme: row.acmeAccount
      ? {
          account: row.acmeAccount.name,
          renewBeforeDays: row.acmeRenewBeforeDays ?? ACME_RENEW_BEFORE_DAYS_DEFAULT,
          renewAfter: acmeRenewAfter(row).toISOString(),
          lastError: row.acmeLastError,
          failures: row.acmeFailures,
        }
      : null,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

export async function findCertificateRow(db: Db, idOrName: string): Promise<CertificateRow> {
  const row = await db.certificate.findFirst({ where: { OR: [{ id: idOrName }, { name: idOrName }] }, include: WITH_ACCOUNT });
  if (!row) throw AppError.field('id', `no certificate ${idOrName}`, 'NOT_FOUND');
  return row;
}

export async function listCertificates(prisma: PrismaClient): Promise<TCertificate[]> {
  const [rows, snapshot] = await Promise.all([prisma.certificate.findMany({ orderBy: { name: 'asc' }, include: WITH_ACCOUNT }), getCurrentSnapshot(prisma)]);
  return rows.map((r) => toRecord(r, listenersUsing(snapshot, r.id)));
}

export async function getCertificate(prisma: PrismaClient, idOrName: string): Promise<TCertificate> {
  const row = await findCertificateRow(prisma, idOrName);
  return toRecord(row, listenersUsing(await getCurrentSnapshot(prisma), row.id));
}

/**
 * Uploads a certificate: checked (see parseCertificateUpload), its key sealed under the row's
 * own context, and committed as a revision, so data planes get it (with the key, over the link)
 * as soon as a listener names it.
 */
export async function uploadCertificate(prisma: PrismaClient, opts: { actor: Pick<Actor, 'name'>; input: TCertificateUpload }): Promise<TCertificate> {
  const parsed = parseCertificateUpload(opts.input.chain, opts.input.key);
  const { result } = await commitChange(prisma, { actor: opts.actor, message: `upload certificate ${opts.input.name} (${parsed.names.join(', ')})` }, (tx) =>
    createCertificateRow(tx, { name: opts.input.name, parsed }),
  );
  return toRecord(result, []);
}

/** Replaces an uploaded certificate's chain and key (see replaceCertificateChain). */
export async function rotateCertificate(prisma: PrismaClient, opts: { actor: Pick<Actor, 'name'>; input: TCertificateRotate }): Promise<TCertificate> {
  const parsed = parseCertificateUpload(opts.input.chain, opts.input.key);
  const current = await findCertificateRow(prisma, opts.input.id);
  const { result } = await commitChange(
    prisma,
    { actor: opts.actor, message: `rotate certificate ${current.name} (${parsed.names.join(', ')}, until ${parsed.notAfter.toISOString().slice(0, 10)})` },
    (tx) => replaceCertificateChain(tx, current.id, parsed),
  );
  return toRecord(result, listenersUsing(await getCurrentSnapshot(prisma), result.id));
}

/** Deletes a certificate no listener serves; one in use is refused, naming the listeners. */
export async function deleteCertificate(prisma: PrismaClient, opts: { actor: Pick<Actor, 'name'>; input: TCertificateDelete }): Promise<void> {
  const row = await findCertificateRow(prisma, opts.input.id);
  await commitChange(prisma, { actor: opts.actor, message: `delete certificate ${row.name}` }, async (tx) => {
    // Read under the revision lock: no listener can start using it between this check and the delete.
    const users = listenersUsing(await getCurrentSnapshot(tx as PrismaClient), row.id);
    if (users.length)
      throw AppError.field('id', `certificate ${row.name} is served by listener${users.length > 1 ? 's' : ''} ${users.join(', ')}: take it off ${users.length > 1 ? 'them' : 'it'} first`, 'CONFLICT');
    const res = await tx.certificate.deleteMany({ where: { id: row.id, version: opts.input.expectedVersion } });
    if (res.count === 0) throw new AppError('PRECONDITION_FAILED', `certificate ${row.name} changed since you read it (now version ${row.version}); reload and try again`);
  });
}
