import { LOCK_ID, type PrismaClient } from '@fulcrum/db';
import { PeriodicPass, withSessionTryLock } from '../../locked-pass';
import { acmeRenewAfter } from '../certificates/certificates';
import { type TRenewOutcome, renewAcmeCertificate } from './acme-certificates';
import type { AcmeOrderOptions } from './acme-order';

export interface AcmeRenewerOptions {
  databaseUrl: string;
  /** How often due certificates are looked for (an hour by default: windows are days wide). */
  intervalMs?: number;
  /** The clock renewal windows are measured against (tests move it). */
  now?: () => Date;
  order?: AcmeOrderOptions;
  /** The first retry's delay after a failure (doubling up to a day). */
  retryBaseMs?: number;
  log?: (line: string) => void;
}

export type TRenewPass = { ran: true; outcomes: { certificate: string; outcome: TRenewOutcome }[] } | { ran: false; reason: 'another replica is renewing' };

const ACTOR = { name: 'acme-renewer' };

/**
 * Renews ACME certificates that entered their renewal window (N days before notAfter, 30 by
 * default) and whose backoff after a failure has passed. Every replica runs one; a pass first
 * takes the renewal try-lock (withSessionTryLock), so one replica at a time orders (two would
 * ask the CA twice and race on the rotation).
 */
export class AcmeRenewer {
  private readonly timer: PeriodicPass;
  private readonly now: () => Date;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly opts: AcmeRenewerOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    const log = opts.log ?? (() => {});
    this.timer = new PeriodicPass(
      async () => {
        const r = await this.renewDue();
        if (r.ran) for (const o of r.outcomes) log(`acme: ${o.certificate} ${o.outcome.renewed ? 'renewed' : `not renewed: ${o.outcome.error}`}`);
      },
      { intervalMs: opts.intervalMs ?? 3_600_000, firstWithinMs: 60_000, onError: (err) => log(`acme: renewal pass failed: ${err instanceof Error ? err.message : String(err)}`) },
    );
  }

  start(): void {
    this.timer.start();
  }

  stop(): Promise<void> {
    return this.timer.stop();
  }

  /** One pass: every due certificate, one after another, while this replica holds the renewal lock. */
  async renewDue(): Promise<TRenewPass> {
    const pass = await withSessionTryLock(this.opts.databaseUrl, LOCK_ID.acmeRenewal, async () => {
      const now = this.now();
      const rows = await this.prisma.certificate.findMany({
        where: { acmeAccountId: { not: null } },
        select: { id: true, name: true, notAfter: true, acmeRenewBeforeDays: true, acmeNextAttemptAt: true },
        orderBy: { notAfter: 'asc' },
      });
      const outcomes: { certificate: string; outcome: TRenewOutcome }[] = [];
      for (const row of rows.filter((r) => acmeRenewAfter(r) <= now)) {
        outcomes.push({ certificate: row.name, outcome: await renewAcmeCertificate(this.prisma, { actor: ACTOR, id: row.id, now, order: this.opts.order, retryBaseMs: this.opts.retryBaseMs }) });
      }
      return outcomes;
    });
    return pass.ran ? { ran: true, outcomes: pass.result } : { ran: false, reason: 'another replica is renewing' };
  }
}
