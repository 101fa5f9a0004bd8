'use client';

import { failureRate, sumPoolTraffic } from '@fulcrum/protocol';
import { useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useMemo, useRef, useState } from 'react';
import { type LiveSecond, mergeWindow } from './live-window';
import { useTRPC } from './trpc';

/**
 * The dashboard's one seam for traffic numbers. Live numbers are pushed: the `stats.live`
 * subscription (server-sent events, see ./trpc) delivers every complete second; the pool view's
 * five minutes start from `stats.history` and grow with each push. Longer ranges read the stored
 * rollups. Until a data plane reports, the hooks return empty data and pages show "no data yet".
 */

export type { LivePoint, LiveSecond } from './live-window';

export interface LivePoolSummary {
  rps: number;
  errorRate: number;
  p99: number;
  /** Backends reported healthy and not ejected. */
  healthy: number;
  /** Backends the data planes reported on at all. */
  reported: number;
}

// A pool missing from a few pushed seconds (its frames came late) keeps its last numbers this
// long before the overview says "no data yet".
const SUMMARY_KEPT_MS = 5000;

/** Every pool's newest complete second, keyed by pool id (the overview). */
export function useLiveStats(): { pools: Record<string, LivePoolSummary>; loading: boolean } {
  const trpc = useTRPC();
  const [latest, setLatest] = useState<Record<string, LivePoolSummary & { ts: number }>>({});
  const sub = useSubscription(
    trpc.stats.live.subscriptionOptions(undefined, {
      onData: (frame) =>
        setLatest((prev) => {
          const next: Record<string, LivePoolSummary & { ts: number }> = {};
          for (const [poolId, s] of Object.entries(prev)) if (s.ts > frame.ts - SUMMARY_KEPT_MS) next[poolId] = s;
          for (const [poolId, backends] of Object.entries(frame.pools)) {
            const t = sumPoolTraffic(Object.values(backends));
            next[poolId] = { ts: frame.ts, rps: t.requests, errorRate: failureRate(t), p99: t.p99Ms, healthy: t.healthy, reported: t.reported };
          }
          return next;
        }),
    }),
  );
  return { pools: latest, loading: sub.status === 'connecting' && sub.data === undefined };
}

/**
 * The pool's last five minutes, one second per backend: the stored seconds first, then each
 * pushed second appended (and the oldest dropped) as it arrives.
 */
export function useLivePool(poolId: string): { seconds: LiveSecond[]; latest: LiveSecond['backends']; loading: boolean } {
  const trpc = useTRPC();
  const history = useQuery(trpc.stats.history.queryOptions({ poolId, range: '5m' }));
  const [pushed, setPushed] = useState<LiveSecond[]>([]);
  const starts = useRef(0);
  useSubscription(
    trpc.stats.live.subscriptionOptions(
      { poolId },
      {
        // After a reconnect, read the stored seconds again so the seconds missed meanwhile fill in.
        onStarted: () => {
          if (starts.current++ > 0) void history.refetch();
        },
        onData: (frame) => setPushed((prev) => mergeWindow(prev, [{ ts: frame.ts, backends: frame.pools[poolId] ?? {} }])),
      },
    ),
  );
  const seconds = useMemo(() => {
    // The store's newest second was still filling in when it was read; its push completes it.
    const stored = (history.data?.points ?? []).slice(0, -1).map((p) => ({ ts: p.ts, backends: p.backends ?? {} }));
    return mergeWindow(stored, pushed);
  }, [history.data, pushed]);
  return { seconds, latest: seconds[seconds.length - 1]?.backends ?? {}, loading: history.isLoading };
}

export type THistoryRange = '1h' | '24h';

const REFRESH_MS: Record<THistoryRange, number> = { '1h': 10_000, '24h': 60_000 };

/** The pool's stored history (10 s points for an hour, 1 min points for a day), re-read as new rollups land. */
export function usePoolHistory(poolId: string, range: THistoryRange) {
  const trpc = useTRPC();
  return useQuery({ ...trpc.stats.history.queryOptions({ poolId, range }), refetchInterval: REFRESH_MS[range] });
}
