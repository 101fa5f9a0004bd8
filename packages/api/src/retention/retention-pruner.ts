import { LOCK_ID, type PrismaClient } from '@fulcrum/db';
import { PeriodicPass, withSessionTryLock } from '../locked-pass';
import { type TPruneCounts, type TRetentionSettings, pruneOldRows } from './prune-old-rows';

export interface RetentionPrunerOptions {
  databaseUrl: string;
  settings: TRetentionSettings;
  intervalMs: number;
  /** The clock retention is measured against (tests pass their own). */
  now?: () => Date;
  log?: (line: string) => void;
}

export type TPruneOutcome = { ran: true; counts: TPruneCounts } | { ran: false; reason: 'another replica is pruning' };

/**
 * Prunes old rows on a timer. Every replica runs one, and each pass first tries the retention
 * lock (withSessionTryLock): the replica that gets it prunes, the others skip that pass, so
 * replicas never delete the same rows at once.
 */
export class RetentionPruner {
  private readonly timer: PeriodicPass;
  private readonly now: () => Date;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly opts: RetentionPrunerOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    const log = opts.log ?? (() => {});
    // A first pass soon after start, then one each interval.
    this.timer = new PeriodicPass(
      async () => {
        const r = await this.pruneOnce();
        if (r.ran && Object.values(r.counts).some((n) => n > 0)) log(`retention: pruned ${JSON.stringify(r.counts)}`);
      },
      { intervalMs: opts.intervalMs, firstWithinMs: 30_000, onError: (err) => log(`retention: prune failed: ${err instanceof Error ? err.message : String(err)}`) },
    );
  }

  start(): void {
    this.timer.start();
  }

  stop(): Promise<void> {
    return this.timer.stop();
  }

  /** One pass, when no other replica is pruning. */
  async pruneOnce(): Promise<TPruneOutcome> {
    const pass = await withSessionTryLock(this.opts.databaseUrl, LOCK_ID.retention, () => pruneOldRows(this.prisma, this.opts.settings, this.now()));
    return pass.ran ? { ran: true, counts: pass.result } : { ran: false, reason: 'another replica is pruning' };
  }
}
