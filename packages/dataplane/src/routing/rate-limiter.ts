import type { TRateLimit } from '@fulcrum/protocol';

/** Keys tracked per route; past it, buckets that have refilled are forgotten first (they hold no state worth keeping), then the oldest. */
const MAX_KEYS = 100_000;

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * A token bucket per key (client IP, a header's value, or the whole route): `burst` requests at
 * once, refilled at `requestsPerSecond`. Counts on this data plane only. The clock is passed in.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(
    readonly config: TRateLimit,
    private readonly now: () => number,
  ) {
    this.perMs = config.requestsPerSecond / 1000;
  }

  /** Takes a token for `key`: 0 when the request may pass, else the seconds until a token is due (Retry-After). */
  take(key: string): number {
    const now = this.now();
    const { burst } = this.config;
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= MAX_KEYS) this.evict(now);
      b = { tokens: burst, at: now };
      this.buckets.set(key, b);
    } else {
      b.tokens = Math.min(burst, b.tokens + (now - b.at) * this.perMs);
      b.at = now;
    }
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000));
  }

  get size(): number {
    return this.buckets.size;
  }

  private evict(now: number): void {
    const { burst } = this.config;
    for (const [k, b] of this.buckets) if (b.tokens + (now - b.at) * this.perMs >= burst) this.buckets.delete(k);
    // Everyone is mid-burst (a flood of distinct keys): drop the oldest tenth; they start full again.
    if (this.buckets.size >= MAX_KEYS) {
      let n = Math.ceil(MAX_KEYS / 10);
      for (const k of this.buckets.keys()) {
        this.buckets.delete(k);
        if (--n === 0) break;
      }
    }
  }
}
