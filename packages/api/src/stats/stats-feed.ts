import { CHANNEL_STATS, type PrismaClient } from '@fulcrum/db';
import { type TStatsFrame, ZStatsFrame } from '@fulcrum/protocol';
import { rollupFrames } from './stats-rollups';
import { ROLLUP_SECONDS, ROLLUP_SETTLE_MS, WINDOW_SECONDS } from './stats-store';

/** Frames being written at once; past this (a slow or unreachable database) new ones are dropped and counted, never queued without bound. */
const MAX_IN_FLIGHT = 64;
/** Ids of frames already taken, so a notification and a catch-up read never add one twice. */
const SEEN_IDS = 20_000;

interface FrameRow {
  id: bigint;
  frame: unknown;
  receivedAt: Date;
}

export interface StatsFeedCounters {
  published: number;
  /** Frames not stored: the database failed or was too slow (the local view still has them). */
  publishFailed: number;
  publishDropped: number;
  /** Frames of data planes linked to other replicas, taken from the database. */
  received: number;
}

/**
 * Shares stats frames between control-plane replicas through PostgreSQL. The replica that holds
 * a data plane's link stores each frame once as a row (unique per data plane and frame time) and
 * NOTIFYs its id; every other replica reads the rows it is told about and merges them into its
 * own live store, so its dashboard, deploy gates and autoscaler see every data plane. A replica
 * that starts, or whose LISTEN connection comes back, reads the rows it missed. The 10 s rollups
 * are computed from these rows (stats-rollups.ts). Why rows + NOTIFY rather than frames inside
 * NOTIFY payloads: a frame of a few pools with histograms is over NOTIFY's 8000-byte limit, and a
 * notification missed during a reconnect is gone (README, "Several control-plane replicas").
 */
export class StatsFeed {
  readonly counters: StatsFeedCounters = { published: 0, publishFailed: 0, publishDropped: 0, received: 0 };
  private inFlight = 0;
  private readonly seen = new Set<string>();
  private pending: string[] = [];
  private reading: Promise<void> | undefined;
  private rollupTimer: NodeJS.Timeout | undefined;
  private rolledUntil = 0;
  private readonly startedAt = new Date();

  constructor(
    private readonly prisma: PrismaClient,
    private readonly controlPlaneId: string,
    /** Gets each frame of a data plane linked to another replica (or to this one before a restart). */
    private readonly onFrame: (frame: TStatsFrame, receivedAt: Date) => void,
  ) {}

  /** Stores a frame this replica received from its own data plane, for the others. Never waits on the database. */
  publish(frame: TStatsFrame): void {
    if (this.inFlight >= MAX_IN_FLIGHT) {
      this.counters.publishDropped++;
      return;
    }
    this.inFlight++;
    const json = JSON.stringify(frame);
    // One statement: the row and its notification commit together (pg_notify's void stays out of the result, which the client cannot read).
    this.prisma.$queryRaw<{ id: bigint }[]>`
      WITH ins AS (
        INSERT INTO "StatsFrame" ("dataplaneId", "ts", "controlPlaneId", "frame", "receivedAt")
        VALUES (${frame.dataplaneId}, ${new Date(frame.ts)}, ${this.controlPlaneId}, ${json}::jsonb, ${new Date()})
        ON CONFLICT ("dataplaneId", "ts") DO NOTHING RETURNING "id")
      SELECT ins."id" FROM ins CROSS JOIN LATERAL (SELECT pg_notify(${CHANNEL_STATS}, ins."id"::text || '|' || ${this.controlPlaneId})) AS sent`
      .then(
        (rows) => {
          for (const r of rows) this.remember(String(r.id));
          this.counters.published++;
        },
        () => this.counters.publishFailed++,
      )
      .finally(() => this.inFlight--);
  }

  /** A NOTIFY on CHANNEL_STATS: reads the frame unless this replica stored it. */
  heard(payload: string): void {
    const bar = payload.indexOf('|');
    const id = payload.slice(0, bar);
    if (bar < 0 || !/^\d+$/.test(id) || payload.slice(bar + 1) === this.controlPlaneId || this.seen.has(id)) return;
    this.pending.push(id);
    this.reading ??= this.readPending().finally(() => (this.reading = undefined));
  }

  /**
   * Reads the stored frames of the last `seconds` this replica has not taken (on start: the
   * whole window, its own rows from before it started included, so a restart keeps the charts).
   */
  async catchUp(seconds = WINDOW_SECONDS): Promise<void> {
    const since = new Date(Date.now() - seconds * 1000);
    const rows = await this.prisma.$queryRaw<FrameRow[]>`
      SELECT "id", "frame", "receivedAt" FROM "StatsFrame"
      WHERE "ts" >= ${since} AND ("controlPlaneId" <> ${this.controlPlaneId} OR "receivedAt" < ${this.startedAt})
      ORDER BY "ts"`;
    this.take(rows);
  }

  private async readPending(): Promise<void> {
    // Notifications that arrive while a read runs are taken by the next one, in one query.
    while (this.pending.length) {
      const ids = this.pending.splice(0).map(BigInt);
      const rows = await this.prisma.$queryRaw<FrameRow[]>`SELECT "id", "frame", "receivedAt" FROM "StatsFrame" WHERE "id" = ANY(${ids}::bigint[]) ORDER BY "ts"`.catch(() => []);
      this.take(rows);
    }
  }

  private take(rows: FrameRow[]): void {
    for (const r of rows) {
      const id = String(r.id);
      if (this.seen.has(id)) continue;
      this.remember(id);
      const frame = ZStatsFrame.safeParse(r.frame);
      if (!frame.success) continue;
      this.counters.received++;
      this.onFrame(frame.data, r.receivedAt);
    }
  }

  private remember(id: string): void {
    this.seen.add(id);
    // A Set iterates in insertion order: the oldest ids go first.
    if (this.seen.size > SEEN_IDS) for (const old of this.seen) if (this.seen.size > SEEN_IDS / 2) this.seen.delete(old);
  }

  /** Every 10 s: the buckets over since the last run are rolled up, and frames older than the live window pruned. */
  startRollups(): void {
    if (this.rollupTimer) return;
    // From a minute back: buckets a previous run of this replica left (upserts, so redoing one is harmless).
    this.rolledUntil = this.rollupBoundary() - 60_000;
    this.rollupTimer = setInterval(() => void this.rollupDue().catch(() => {}), ROLLUP_SECONDS * 1000);
    this.rollupTimer.unref();
  }

  stopRollups(): void {
    if (this.rollupTimer) clearInterval(this.rollupTimer);
    this.rollupTimer = undefined;
  }

  /** Rolls up every bucket that ended at least ROLLUP_SETTLE_MS ago and is not rolled up yet. */
  async rollupDue(): Promise<number> {
    const to = this.rollupBoundary();
    if (to <= this.rolledUntil) return 0;
    const n = await rollupFrames(this.prisma, this.controlPlaneId, this.rolledUntil, to);
    this.rolledUntil = to;
    await this.prisma.statsFrame.deleteMany({ where: { ts: { lt: new Date(Date.now() - WINDOW_SECONDS * 1000) } } });
    return n;
  }

  private rollupBoundary(): number {
    return Math.floor((Date.now() - ROLLUP_SETTLE_MS) / (ROLLUP_SECONDS * 1000)) * ROLLUP_SECONDS * 1000;
  }
}
