import type { AppRouter } from '@fulcrum/api';
import type { inferRouterOutputs } from '@trpc/server';

/** A stored history point: totals over its interval (gauges: the interval's peak). */
type HistoryPoint = inferRouterOutputs<AppRouter>['stats']['history']['points'][number];

export type RatePoint = {
  ts: number;
  rps: number;
  '5xx': number;
  connection: number;
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
  return points.map((p) => ({ ts: p.ts, rps: per(p.requests), '5xx': per(p.responses5xx), connection: per(p.errors), p99: p.p99Ms, active: p.activeConnections }));
}
