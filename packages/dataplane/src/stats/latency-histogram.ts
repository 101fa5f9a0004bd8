/**
 * Latency in fixed memory: log-spaced buckets from 10 µs to ~10 min, each 5% wider than the
 * last, so a percentile is within about 5% of the truth whatever the traffic.
 */
const MIN_MS = 0.01;
const GROWTH = 1.05;
const LOG_GROWTH = Math.log(GROWTH);
const BUCKETS = Math.ceil(Math.log(600_000 / MIN_MS) / LOG_GROWTH) + 1;

export class LatencyHistogram {
  private readonly counts = new Uint32Array(BUCKETS);
  count = 0;

  record(ms: number): void {
    const i = ms <= MIN_MS ? 0 : Math.min(BUCKETS - 1, Math.ceil(Math.log(ms / MIN_MS) / LOG_GROWTH));
    this.counts[i]!++;
    this.count++;
  }

  /** The upper bound of the bucket holding the q-th quantile (0..1); 0 when empty. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.round(MIN_MS * GROWTH ** i * 1000) / 1000;
    }
    return Math.round(MIN_MS * GROWTH ** (BUCKETS - 1));
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
  }
}
