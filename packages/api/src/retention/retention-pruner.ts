import { LOCK_ID, type PrismaClient } from '@fulcrum/db';
import pg from 'pg';
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
 * Prunes old rows on a timer. Every replica runs one, and each pass first tries a session-level
 * advisory lock on a connection of its own: the replica that gets it prunes, the others skip that
 * pass, so replicas never delete the same rows at once. (Prisma's pooled connections cannot hold
 * a session lock across the batches.)
 */
export class RetentionPruner {
  private timers: NodeJS.Timeout[] = [];
  private running: Promise<unknown> | undefined;
  private readonly now: () => Date;
  private readonly log: (line: string) => void;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly opts: RetentionPrunerOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
    this.log = opts.log ?? (() => {});
  }

  start(): void {
    if (this.timers.length) return;
    const tick = () => {
      if (this.running || !this.timers.length) return;
      this.running = this.pruneOnce()
        .then((r) => {
          if (r.ran && Object.values(r.counts).some((n) => n > 0)) this.log(`retention: pruned ${JSON.stringify(r.counts)}`);
        })
        .catch((err) => this.log(`retention: prune failed: ${err instanceof Error ? err.message : String(err)}`))
        .finally(() => (this.running = undefined));
    };
    // A first pass soon after start, then one each interval.
    this.timers = [setInterval(tick, this.opts.intervalMs), setTimeout(tick, Math.min(this.opts.intervalMs, 30_000))];
    for (const t of this.timers) t.unref();
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    await this.running;
  }

  /** One pass, when no other replica is pruning. */
  async pruneOnce(): Promise<TPruneOutcome> {
    const client = new pg.Client({ connectionString: this.opts.databaseUrl });
    client.on('error', () => {}); // a dropped connection drops the lock; the pass's own queries report the failure
    await client.connect();
    try {
      const got = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [LOCK_ID.retention]);
      if (!got.rows[0]?.ok) return { ran: false, reason: 'another replica is pruning' };
      return { ran: true, counts: await pruneOldRows(this.prisma, this.opts.settings, this.now()) };
    } finally {
      // Ending the session releases the lock.
      await client.end().catch(() => {});
    }
  }
}
