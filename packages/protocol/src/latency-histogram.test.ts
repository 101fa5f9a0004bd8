import { describe, expect, it } from 'vitest';
import { LATENCY_BOUNDS_MS, LATENCY_BUCKETS, ZLatencyHistogram, emptyHistogram, histogramCount, histogramPercentiles, histogramQuantile, latencyBucket, mergeHistogram } from './latency-histogram';

function record(values: number[]) {
  const h = emptyHistogram();
  for (const v of values) {
    h.counts[latencyBucket(v)]!++;
    h.sumMs += v;
  }
  return h;
}

/** The exact q-quantile of a sample (nearest rank). */
function exact(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil(q * s.length) - 1)]!;
}

describe('latency buckets', () => {
  it('span 0.1 ms to 60 s, increasing, each at most 5/3 of the last, with an overflow bucket', () => {
    expect(LATENCY_BOUNDS_MS[0]).toBe(0.1);
    expect(LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]).toBe(60_000);
    for (let i = 1; i < LATENCY_BOUNDS_MS.length; i++) {
      expect(LATENCY_BOUNDS_MS[i]!).toBeGreaterThan(LATENCY_BOUNDS_MS[i - 1]!);
      expect(LATENCY_BOUNDS_MS[i]! / LATENCY_BOUNDS_MS[i - 1]!).toBeLessThanOrEqual(5 / 3 + 1e-9);
    }
    expect(LATENCY_BUCKETS).toBe(LATENCY_BOUNDS_MS.length + 1);
  });

  it('put a value in the first bucket whose bound holds it (bounds inclusive, as Prometheus le)', () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(0.1)).toBe(0);
    expect(latencyBucket(0.100001)).toBe(1);
    expect(latencyBucket(1)).toBe(LATENCY_BOUNDS_MS.indexOf(1));
    expect(latencyBucket(60_000)).toBe(LATENCY_BOUNDS_MS.length - 1);
    expect(latencyBucket(1e9)).toBe(LATENCY_BOUNDS_MS.length);
    for (const b of LATENCY_BOUNDS_MS) expect(LATENCY_BOUNDS_MS[latencyBucket(b)]).toBe(b);
  });
});

describe('histogram percentiles', () => {
  it('are within one bucket width of the exact percentile for skewed traffic', () => {
    let seed = 7;
    const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    // Log-normal-ish: mostly 2-20 ms with a tail to seconds.
    const values = Array.from({ length: 20_000 }, () => Math.exp(Math.log(2) + rand() * Math.log(10) + (rand() < 0.02 ? rand() * 5 : 0)));
    const h = record(values);
    for (const q of [0.5, 0.95, 0.99]) {
      const e = exact(values, q);
      const got = histogramQuantile(h, q);
      expect(got / e, `q=${q} exact ${e} got ${got}`).toBeGreaterThan(1 / 1.5);
      expect(got / e, `q=${q} exact ${e} got ${got}`).toBeLessThan(1.5);
    }
  });

  it('are 0 for an empty histogram and never exceed 60 s', () => {
    expect(histogramPercentiles(emptyHistogram())).toEqual({ p50: 0, p95: 0, p99: 0 });
    expect(histogramQuantile(record([1e7, 1e8]), 0.99)).toBe(60_000);
  });

  it('of merged histograms equal those of all the values together, unlike the max or mean of per-process percentiles', () => {
    // One worker fast and busy, one slow and quiet: the pool's p50 is fast.
    const fast = Array.from({ length: 900 }, (_, i) => 1 + (i % 10) / 10);
    const slow = Array.from({ length: 100 }, (_, i) => 400 + i);
    const merged = record(fast);
    mergeHistogram(merged, record(slow));
    expect(merged).toEqual(record([...fast, ...slow]));
    expect(histogramCount(merged)).toBe(1000);
    expect(histogramQuantile(merged, 0.5)).toBeLessThan(2);
    expect(histogramQuantile(merged, 0.95)).toBeGreaterThan(300);
    expect(merged.sumMs).toBeCloseTo(
      [...fast, ...slow].reduce((a, b) => a + b, 0),
      6,
    );
  });

  it('merging is associative and commutative', () => {
    const a = record([1, 2, 3]);
    const b = record([50, 60]);
    const c = record([0.05, 9000]);
    const ab_c = emptyHistogram();
    for (const h of [a, b, c]) mergeHistogram(ab_c, h);
    const c_ba = emptyHistogram();
    for (const h of [c, b, a]) mergeHistogram(c_ba, h);
    expect(ab_c.counts).toEqual(c_ba.counts);
  });

  it('the frame schema refuses a histogram with the wrong number of buckets or negative counts', () => {
    expect(ZLatencyHistogram.safeParse(emptyHistogram()).success).toBe(true);
    expect(ZLatencyHistogram.safeParse({ counts: [1, 2, 3], sumMs: 1 }).success).toBe(false);
    const neg = emptyHistogram();
    neg.counts[3] = -1;
    expect(ZLatencyHistogram.safeParse(neg).success).toBe(false);
  });
});
