import type { PrismaClient } from '@fulcrum/db';
import type { TAcmeCertificateRequest, TCertificate } from '@fulcrum/protocol';
import { AppError } from '../../errors';
import { createCertificateRow, findCertificateRow, listenersUsing, replaceCertificateChain, toRecord } from '../certificates/certificates';
import { parseCertificateUpload } from '../certificates/parse-certificate';
import { recordEvent } from '../events/events';
import { commitChange } from '../revisions/commit-change';
import { getCurrentSnapshot } from '../revisions/revisions';
import { findAcmeAccountRow, openAcmeAccount } from './acme-accounts';
import { acmeErrorText } from './acme-error-text';
import { type AcmeOrderOptions, runAcmeOrder } from './acme-order';

/** The first retry after a failed renewal waits this long, each next one twice as long, up to a day. */
export const ACME_RETRY_BASE_MS = 10 * 60_000;
const ACME_RETRY_MAX_MS = 24 * 3_600_000;

export function acmeRetryDelayMs(failures: number, baseMs = ACME_RETRY_BASE_MS): number {
  return Math.min(ACME_RETRY_MAX_MS, baseMs * 2 ** Math.max(0, Math.min(failures - 1, 20)));
}

/** The exact hosts a listener's routes match (HTTP-01 cannot prove a wildcard). */
async function listenerHosts(prisma: PrismaClient, idOrName: string): Promise<string[]> {
  const snapshot = await getCurrentSnapshot(prisma);
  const listener = snapshot?.listeners.find((l) => l.id === idOrName || l.name === idOrName);
  if (!listener) throw AppError.field('listener', `no listener ${idOrName}`, 'NOT_FOUND');
  const hosts = [...new Set(listener.routes.flatMap((r) => r.match.hosts).filter((h) => !h.startsWith('*.')))].sort();
  if (!hosts.length) throw AppError.field('listener', `the routes of listener ${listener.name} match no exact host (wildcards cannot be proved by HTTP-01): give hosts`);
  if (hosts.length > 100) throw AppError.field('listener', `the routes of listener ${listener.name} match ${hosts.length} hosts; one certificate holds at most 100: give hosts`);
  return hosts;
}

/** Checks what the CA issued as an upload is checked, and that it covers every host asked for. */
function checkIssued(chain: string, key: string, hosts: string[]) {
  let parsed: ReturnType<typeof parseCertificateUpload>;
  try {
    parsed = parseCertificateUpload(chain, key);
  } catch (err) {
    throw new Error(`the CA issued a certificate this control plane cannot serve: ${err instanceof Error ? err.message : String(err)}`);
  }
  const missing = hosts.filter((h) => !parsed.names.includes(h));
  if (missing.length) throw new Error(`the CA issued a certificate without ${missing.join(', ')}`);
  return parsed;
}

/**
 * Asks the account's CA for a certificate for the hosts given or a listener's hosts, and stores it
 * as an ordinary certificate (key sealed) that the renewal loop keeps fresh. A failed order is an
 * event with the CA's reason and a clear error; nothing is stored then.
 */
export async function requestAcmeCertificate(prisma: PrismaClient, opts: { actor: { name: string }; input: TAcmeCertificateRequest; order?: AcmeOrderOptions }): Promise<TCertificate> {
  const { input } = opts;
  const account = await findAcmeAccountRow(prisma, input.account);
  const hosts = input.hosts ? [...new Set(input.hosts)] : await listenerHosts(prisma, input.listener!);
  if (await prisma.certificate.findUnique({ where: { name: input.name } })) throw AppError.field('name', `a certificate named ${input.name} exists already`, 'CONFLICT');
  let parsed: ReturnType<typeof checkIssued>;
  try {
    const issued = await runAcmeOrder(prisma, openAcmeAccount(account), hosts, opts.order);
    parsed = checkIssued(issued.chain, issued.key, hosts);
  } catch (err) {
    if (err instanceof AppError) throw err;
    const reason = acmeErrorText(err);
    await recordEvent(prisma, { kind: 'certificate_acme', severity: 'error', message: `ACME order for certificate ${input.name} (${hosts.join(', ')}) at ${account.name} failed: ${reason}` });
    throw new AppError('UNAVAILABLE', `the CA did not issue the certificate: ${reason}`);
  }
  const { result } = await commitChange(prisma, { actor: opts.actor, message: `issue certificate ${input.name} by ACME (${parsed.names.join(', ')})` }, (tx) =>
    createCertificateRow(tx, { name: input.name, parsed, extra: { acmeAccountId: account.id, acmeRenewBeforeDays: input.renewBeforeDays ?? null } }),
  );
  await recordEvent(prisma, {
    kind: 'certificate_acme',
    message: `certificate ${input.name} (${parsed.names.join(', ')}) issued by ACME account ${account.name}, valid until ${parsed.notAfter.toISOString().slice(0, 10)}`,
    data: { certificateId: result.id, notAfter: parsed.notAfter.toISOString() },
  });
  return toRecord(result, []);
}

export type TRenewOutcome = { renewed: true; certificate: TCertificate } | { renewed: false; error: string; nextAttemptAt: Date };

/**
 * Renews an ACME certificate under the same id (listeners keep naming it; data planes take the
 * new version for new handshakes, open connections stay). A failure is recorded on the row and
 * as an event with the CA's reason, and the next try waits longer with each failure.
 */
export async function renewAcmeCertificate(prisma: PrismaClient, opts: { actor: { name: string }; id: string; now?: Date; order?: AcmeOrderOptions; retryBaseMs?: number }): Promise<TRenewOutcome> {
  const row = await findCertificateRow(prisma, opts.id);
  if (!row.acmeAccountId) throw AppError.field('id', `certificate ${row.name} was uploaded, not issued by ACME: rotate it by hand`);
  const account = await prisma.acmeAccount.findUniqueOrThrow({ where: { id: row.acmeAccountId } });
  const hosts = row.names;
  let parsed: ReturnType<typeof checkIssued>;
  try {
    const issued = await runAcmeOrder(prisma, openAcmeAccount(account), hosts, opts.order);
    parsed = checkIssued(issued.chain, issued.key, hosts);
  } catch (err) {
    const error = acmeErrorText(err);
    const failures = row.acmeFailures + 1;
    const nextAttemptAt = new Date((opts.now ?? new Date()).getTime() + acmeRetryDelayMs(failures, opts.retryBaseMs));
    await prisma.certificate.update({ where: { id: row.id }, data: { acmeFailures: failures, acmeLastError: error, acmeNextAttemptAt: nextAttemptAt } });
    await recordEvent(prisma, {
      kind: 'certificate_acme',
      severity: row.notAfter.getTime() - (opts.now ?? new Date()).getTime() < 7 * 86_400_000 ? 'error' : 'warning',
      message: `renewing certificate ${row.name} (${hosts.join(', ')}) failed (${failures} in a row; next try ${nextAttemptAt.toISOString()}): ${error}`,
      data: { certificateId: row.id, failures, nextAttemptAt: nextAttemptAt.toISOString() },
    });
    return { renewed: false, error, nextAttemptAt };
  }
  const { result } = await commitChange(
    prisma,
    { actor: opts.actor, message: `renew certificate ${row.name} by ACME (${parsed.names.join(', ')}, until ${parsed.notAfter.toISOString().slice(0, 10)})` },
    (tx) => replaceCertificateChain(tx, row.id, parsed, { acmeFailures: 0, acmeLastError: null, acmeNextAttemptAt: null }),
  );
  await recordEvent(prisma, {
    kind: 'certificate_acme',
    message: `certificate ${row.name} (${parsed.names.join(', ')}) renewed by ACME, valid until ${parsed.notAfter.toISOString().slice(0, 10)}`,
    data: { certificateId: row.id, version: result.version, notAfter: parsed.notAfter.toISOString() },
  });
  return { renewed: true, certificate: toRecord(result, listenersUsing(await getCurrentSnapshot(prisma), row.id)) };
}

/** The API's "renew now": the renewed certificate, or the CA's reason as an error (also recorded on the row and as an event). */
export async function renewAcmeCertificateNow(prisma: PrismaClient, opts: { actor: { name: string }; id: string; order?: AcmeOrderOptions }): Promise<TCertificate> {
  const outcome = await renewAcmeCertificate(prisma, opts);
  if (!outcome.renewed) throw new AppError('UNAVAILABLE', `the CA did not renew the certificate: ${outcome.error}`);
  return outcome.certificate;
}
