import { LATENCY_BUCKETS, type TLatencyHistogram, histogramQuantile, latencyBucket } from '@fulcrum/protocol';

/**
 * Latency in fixed memory, in the shared log buckets (LATENCY_BOUNDS_MS: 0.1 ms … 60 s), so the
 * frame carries counts that add up across workers, data planes and replicas.
 */
export class LatencyHistogram {
  private readonly counts = new Float64Array(LATENCY_BUCKETS);
  count = 0;
  sumMs = 0;

  record(ms: number): void {
    this.recordWith(undefined, ms);
  }

  /** Records `ms` here and in `also` (an interval's histogram and the totals), its bucket found once. */
  recordWith(also: LatencyHistogram | undefined, ms: number): void {
    // A clock step backwards or NaN must not corrupt the sum.
    // biome-ignore lint/complexity/useMathMinMax: Math.max(NaN, 0) is NaN; this gives 0.
    const v = ms > 0 ? ms : 0;
    const bucket = latencyBucket(v);
    this.addOne(bucket, v);
    also?.addOne(bucket, v);
  }

  private addOne(bucket: number, v: number): void {
    this.counts[bucket]!++;
    this.count++;
    this.sumMs += v;
  }

  /** The counts as the frame carries them. */
  toJSON(): TLatencyHistogram {
    return { counts: Array.from(this.counts), sumMs: Math.round(this.sumMs * 1000) / 1000 };
  }

  /** The q-th quantile (0..1) in ms, interpolated in its bucket; 0 when empty. */
  quantile(q: number): number {
    return histogramQuantile(this.toJSON(), q);
  }

  /** Adds a histogram (this process's interval, or a frame's) into this one. */
  add(h: TLatencyHistogram): void {
    for (let i = 0; i < LATENCY_BUCKETS; i++) this.counts[i]! += h.counts[i] ?? 0;
    this.count += h.counts.reduce((a, b) => a + b, 0);
    this.sumMs += h.sumMs;
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sumMs = 0;
  }
}
