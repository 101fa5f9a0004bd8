import { z } from 'zod';

/**
 * Upper bounds (ms) of the latency buckets every data plane uses: 1, 1.5, 2, 3, 5, 7 per decade
 * from 0.1 ms to 60 s (each at most 5/3 of the last), plus an overflow bucket above 60 s. Fixed and
 * shared, so histograms from workers, data planes and replicas add up bucket by bucket and
 * percentiles come from the merged counts, never from averaging per-process percentiles.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = (() => {
  const out: number[] = [];
  for (let decade = 0.1; decade < 60_000; decade *= 10) {
    for (const m of [1, 1.5, 2, 3, 5, 7]) {
      const v = Math.round(decade * m * 1000) / 1000;
      if (v < 60_000) out.push(v);
    }
  }
  out.push(60_000);
  return out;
})();

/** Buckets in a histogram: one per bound, then the overflow. */
export const LATENCY_BUCKETS = LATENCY_BOUNDS_MS.length + 1;

/** Counts per bucket (not cumulative) and the sum of the recorded latencies, for one interval or a running total. */
export const ZLatencyHistogram = z.object({
  counts: z.array(z.number().int().min(0)).length(LATENCY_BUCKETS),
  sumMs: z.number().min(0),
});
export type TLatencyHistogram = z.infer<typeof ZLatencyHistogram>;

export function emptyHistogram(): TLatencyHistogram {
  return { counts: new Array<number>(LATENCY_BUCKETS).fill(0), sumMs: 0 };
}

/** The bucket a latency falls in: the first whose upper bound holds it. */
export function latencyBucket(ms: number): number {
  // Binary search: 37 bounds, on the hot path of every response. The bounds through a local: a
  // module binding is loaded again at every use in optimized code.
  const bounds = LATENCY_BOUNDS_MS;
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ms <= bounds[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function histogramCount(h: TLatencyHistogram): number {
  let n = 0;
  for (const c of h.counts) n += c;
  return n;
}

/** Adds `from` into `into`, bucket by bucket. */
export function mergeHistogram(into: TLatencyHistogram, from: TLatencyHistogram): void {
  for (let i = 0; i < LATENCY_BUCKETS; i++) into.counts[i] = (into.counts[i] ?? 0) + (from.counts[i] ?? 0);
  into.sumMs += from.sumMs;
}

/**
 * The q-quantile (0..1) in ms, interpolated linearly inside its bucket as Prometheus's
 * histogram_quantile does; 0 for an empty histogram; the overflow bucket reads as its lower bound.
 */
export function histogramQuantile(h: TLatencyHistogram, q: number): number {
  const total = histogramCount(h);
  if (total === 0) return 0;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < LATENCY_BUCKETS; i++) {
    const c = h.counts[i] ?? 0;
    if (c > 0 && seen + c >= rank) {
      if (i >= LATENCY_BOUNDS_MS.length) return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_MS[i - 1]!;
      const upper = LATENCY_BOUNDS_MS[i]!;
      return Math.round((lower + ((upper - lower) * Math.max(0, rank - seen)) / c) * 1000) / 1000;
    }
    seen += c;
  }
  return LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]!;
}

export interface TPercentiles {
  p50: number;
  p95: number;
  p99: number;
}

export function histogramPercentiles(h: TLatencyHistogram): TPercentiles {
  return { p50: histogramQuantile(h, 0.5), p95: histogramQuantile(h, 0.95), p99: histogramQuantile(h, 0.99) };
}
