import { TAIL_MAX_LINES_PER_SECOND, type TAccessRecord } from '@fulcrum/protocol';

const clip = (s: string, max: number) => (s.length > max ? s.slice(0, max) : s);
const DAY_MS = 86_400_000;

/** A record within the link's limits (ZAccessRecord): long paths and tunnels' durations are cut, not refused. */
function clipped(r: TAccessRecord): TAccessRecord {
  return {
    ...r,
    pool: clip(r.pool, 128),
    clientIp: clip(r.clientIp, 64),
    method: clip(r.method, 32),
    host: clip(r.host, 256),
    path: clip(r.path, 2048),
    durationMs: Math.min(r.durationMs, DAY_MS),
    connectMs: Math.min(r.connectMs, DAY_MS),
    firstByteMs: Math.min(r.firstByteMs, DAY_MS),
    attempts: Math.min(r.attempts, 100),
    requestId: clip(r.requestId, 256),
    userAgent: clip(r.userAgent, 512),
    referer: clip(r.referer, 1024),
  };
}

/**
 * The records the control plane's live tail asked for: only for the pools it names, at most
 * TAIL_MAX_LINES_PER_SECOND a second (a fixed one-second window); the rest are counted as
 * dropped and the count travels with the next batch. Memory is bounded by the same number.
 */
export class LiveTail {
  private pools: ReadonlySet<string> = new Set();
  private lines: TAccessRecord[] = [];
  private dropped = 0;
  private windowStart = 0;
  private inWindow = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly maxPerSecond = TAIL_MAX_LINES_PER_SECOND,
  ) {}

  /** The pools someone watches now; an empty list stops the tail and forgets what waits. */
  watch(poolIds: readonly string[]): void {
    this.pools = new Set(poolIds);
    if (this.pools.size === 0) {
      this.lines = [];
      this.dropped = 0;
    }
  }

  watching(poolId: string): boolean {
    return this.pools.size > 0 && this.pools.has(poolId);
  }

  offer(r: TAccessRecord): void {
    const now = this.now();
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.maxPerSecond || this.lines.length >= this.maxPerSecond) {
      this.dropped++;
      return;
    }
    this.inWindow++;
    this.lines.push(clipped(r));
  }

  /** A worker's batch, into this (the cluster primary's) tail: the same bound holds for all workers together. */
  merge(batch: { lines: readonly TAccessRecord[]; dropped: number }): void {
    if (this.pools.size === 0) return;
    this.dropped += batch.dropped;
    for (const r of batch.lines) if (this.pools.has(r.poolId)) this.offer(r);
  }

  /** The batch to send, if there is anything to say; starts the next batch. */
  take(): { lines: TAccessRecord[]; dropped: number } | undefined {
    if (this.lines.length === 0 && this.dropped === 0) return undefined;
    const out = { lines: this.lines, dropped: this.dropped };
    this.lines = [];
    this.dropped = 0;
    return out;
  }
}
