import type { PrismaClient } from '@fulcrum/db';
import { CERTIFICATE_EXPIRY_NOTICE_DAYS } from '@fulcrum/protocol';

const DAY_MS = 86_400_000;
/** How often the watcher looks; a notice is at most this late. */
const CHECK_EVERY_MS = 15 * 60_000;

/**
 * Records, once per certificate version, that a certificate ends within 14 days (a warning) and
 * that it has ended (an error). Each notice is claimed by a conditional update before its event
 * is written, in one transaction: replicas running the same check record it once. A rotation is
 * a new version, so the new certificate gets its own notices when its time comes.
 */
export async function recordCertificateExpiry(prisma: PrismaClient, now: Date): Promise<number> {
  const soon = new Date(now.getTime() + CERTIFICATE_EXPIRY_NOTICE_DAYS * DAY_MS);
  const due = await prisma.certificate.findMany({
    where: { notAfter: { lte: soon } },
    select: { id: true, name: true, version: true, notAfter: true, names: true, expiringNoticeVersion: true, expiredNoticeVersion: true },
  });
  let recorded = 0;
  for (const c of due) {
    const expired = c.notAfter.getTime() <= now.getTime();
    const noticed = expired ? c.expiredNoticeVersion : c.expiringNoticeVersion;
    if (noticed === c.version) continue;
    const days = Math.max(0, Math.ceil((c.notAfter.getTime() - now.getTime()) / DAY_MS));
    const message = expired
      ? `certificate ${c.name} (${c.names.join(', ')}) expired on ${c.notAfter.toISOString().slice(0, 10)}: clients refuse it; rotate it now`
      : `certificate ${c.name} (${c.names.join(', ')}) expires in ${days} day${days === 1 ? '' : 's'}, on ${c.notAfter.toISOString().slice(0, 10)}: rotate it`;
    const claimed = await prisma.$transaction(async (tx) => {
      const field = expired ? 'expiredNoticeVersion' : 'expiringNoticeVersion';
      const res = await tx.certificate.updateMany({ where: { id: c.id, version: c.version, OR: [{ [field]: null }, { [field]: { not: c.version } }] }, data: { [field]: c.version } });
      if (res.count === 0) return false;
      await tx.event.create({
        data: { kind: 'certificate_expiry', severity: expired ? 'error' : 'warning', message, data: { certificateId: c.id, version: c.version, notAfter: c.notAfter.toISOString(), expired } },
      });
      return true;
    });
    if (claimed) recorded++;
  }
  return recorded;
}

/** Runs recordCertificateExpiry now and every 15 minutes; the clock is injected for tests. */
export class CertificateExpiryWatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly opts: { now?: () => Date; intervalMs?: number; log?: (line: string) => void } = {},
  ) {}

  start(): void {
    const tick = () => {
      this.running = recordCertificateExpiry(this.prisma, this.opts.now?.() ?? new Date()).catch((err) => this.opts.log?.(`certificate expiry check failed: ${(err as Error).message}`));
    };
    tick();
    this.timer = setInterval(tick, this.opts.intervalMs ?? CHECK_EVERY_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}
