import { PROXY_CAUSE_LABEL, type TPoolTraffic, type TProxyCause, clientErrorRate } from '@fulcrum/protocol';
import type { DataplaneLink } from './freshness';
import type { TRouterOutputs } from './router-outputs';

/** A live frame as the server sends it first (stats.liveNow); a pushed frame has the same pools. */
export type TLiveFrame = TRouterOutputs['stats']['liveNow'];

export interface LivePoolSummary {
  /** Responses to clients per second. */
  rps: number;
  /** Client responses >= 500 over client responses (0..1). */
  errorRate: number;
  /** The proxy's own answers in the second, most frequent first, e.g. "503 no healthy backend". */
  causes: { cause: TProxyCause; label: string; count: number }[];
  p99: number;
  /** Upstream attempts that failed (retried or not), apart from client errors. */
  upstreamErrors: number;
  /** Backends reported healthy and not ejected. */
  healthy: number;
  /** Backends the data planes reported on at all. */
  reported: number;
  /** Start of the second (control plane's clock). */
  ts: number;
  /** Browser clock when it arrived. */
  receivedAt: number;
  reporters: string[];
}

export function causeList(t: Pick<TPoolTraffic, 'causes'>): LivePoolSummary['causes'] {
  return (Object.entries(t.causes) as [TProxyCause, number][])
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([cause, count]) => ({ cause, count, label: PROXY_CAUSE_LABEL[cause] }));
}

type TLivePool = TLiveFrame['pools'][string];

/**
 * A live frame's pools as the overview shows them, stamped with when the browser got them. A pool
 * may carry its own (older) second, as the server's first frame does for a pool missing from the
 * newest: it arrived as much earlier as its second is older.
 */
export function poolSummaries(frame: { ts: number; pools: Record<string, Omit<TLivePool, 'ts'> & { ts?: number }> }, receivedAt: number): Record<string, LivePoolSummary> {
  const out: Record<string, LivePoolSummary> = {};
  for (const [poolId, p] of Object.entries(frame.pools)) {
    const t = p.traffic;
    const ts = p.ts ?? frame.ts;
    out[poolId] = {
      ts,
      receivedAt: receivedAt - (frame.ts - ts),
      rps: t.responses,
      errorRate: clientErrorRate(t),
      causes: causeList(t),
      p99: t.p99Ms,
      upstreamErrors: t.upstreamErrors,
      healthy: t.healthy,
      reported: t.reported,
      reporters: p.reporters,
    };
  }
  return out;
}

/** What a push says of the links behind the numbers: the data planes', and this control plane's to the others. */
export interface LinkView {
  links: DataplaneLink[];
  notificationsDownSince: number | null;
}

export const linkView = (frame: { dataplanes: DataplaneLink[]; notificationsDownSince: number | null }): LinkView => ({
  links: frame.dataplanes,
  notificationsDownSince: frame.notificationsDownSince,
});

export interface LiveState {
  latest: Record<string, LivePoolSummary>;
  view: LinkView;
  lastPushAt: number | null;
}

/**
 * The state before the first push: empty, or the frame the server rendered the page with
 * (stats.liveNow, in the query cache from the HTML), taken as the push it stands for. It counts as
 * arrived when the stream would have pushed it, `sincePushMs` before now (a pool's older second
 * that much earlier again), so it greys out exactly when that push would have.
 */
export function initialLiveState(first: TLiveFrame | undefined, now: number): LiveState {
  if (!first) return { latest: {}, view: { links: [], notificationsDownSince: null }, lastPushAt: null };
  const receivedAt = now - first.sincePushMs;
  return { latest: poolSummaries(first, receivedAt), view: linkView(first), lastPushAt: receivedAt };
}
