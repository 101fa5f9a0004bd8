import { type TListenerAnswer, type TListenerStats, emptyListenerStats } from '@fulcrum/protocol';

import { statusClass } from './backend-stats';

/**
 * What one listener answered itself (no route, redirects, fixed responses, rate limits of routes
 * without a pool): nothing a pool's clients got, so never in a pool's counters. Kept per listener
 * id across config changes, like PoolStats.
 */
export class ListenerStats {
  interval: TListenerStats;
  readonly totals: TListenerStats;

  constructor(readonly listenerId: string) {
    this.interval = emptyListenerStats(listenerId);
    this.totals = emptyListenerStats(listenerId);
  }

  answered(status: number, answer: TListenerAnswer): void {
    const cls = statusClass(status);
    this.interval.responses[cls]++;
    this.totals.responses[cls]++;
    this.interval.answers[answer] = (this.interval.answers[answer] ?? 0) + 1;
    this.totals.answers[answer] = (this.totals.answers[answer] ?? 0) + 1;
  }

  /** The interval's counters, or nothing when the listener answered nothing itself; starts the next interval. */
  flush(): TListenerStats | undefined {
    const out = this.interval;
    const r = out.responses;
    if (r['1xx'] + r['2xx'] + r['3xx'] + r['4xx'] + r['5xx'] === 0) return undefined;
    this.interval = emptyListenerStats(this.listenerId);
    return out;
  }
}
