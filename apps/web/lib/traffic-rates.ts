import type { AppRouter } from '@fulcrum/api';
import type { inferRouterOutputs } from '@trpc/server';

/** A stored history point: totals over its interval (gauges: the interval's peak). */
type HistoryPoint = inferRouterOutputs<AppRouter>['stats']['history']['points'][number];

export type RatePoint = {
  ts: number;
  /** Client responses per second. */
  rps: number;
  /** Client responses >= 500 per second. */
  '5xx': number;
  /** Client 5xx over client responses, in percent. */
  errorPct: number;
  /** Failed upstream attempts per second (retried or not). */
  upstream: number;
  retries: number;
  p50: number;
  p95: number;
  p99: number;
  active: number;
};

/**
 * History points as per-second rates. The rollups sum each counter over the point's interval
 * (10 s for an hour, 60 s for a day), so plotting them raw would read 10 or 60 times too high
 * next to the live view; gauges (connections, latency) are already per moment and stay.
 */
export function historyRates(points: readonly HistoryPoint[], resolutionSeconds: number): RatePoint[] {
  const per = (n: number) => Math.round((n / resolutionSeconds) * 100) / 100;
  return points.map((p) => ({
    ts: p.ts,
    rps: per(p.responses),
    '5xx': per(p.responses5xx),
    errorPct: p.responses > 0 ? Math.round(Math.min(1, p.responses5xx / p.responses) * 1000) / 10 : 0,
    upstream: per(p.upstreamErrors),
    retries: per(p.retries),
    p50: p.p50Ms,
    p95: p.p95Ms,
    p99: p.p99Ms,
    active: p.activeConnections,
  }));
}
