'use client';

import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { type Freshness, STALE_AFTER_MS, clockTime, freshness, utcClockTime } from './freshness';
import { type LiveSecond, mergeWindow } from './live-window';
import { type LinkView, type LivePoolSummary, initialLiveState, linkView, poolSummaries } from './live-frame';
import { useTRPC } from './trpc';
import { useHydrated } from './use-hydrated';

/**
 * The dashboard's one seam for traffic numbers. Live numbers are pushed: the `stats.live`
 * subscription (server-sent events, see ./trpc) delivers every complete second; the pool view's
 * five minutes start from `stats.history` and grow with each push. Longer ranges read the stored
 * rollups. Every live number carries its freshness: after STALE_AFTER_MS without a new second it
 * is stale, with since when and why.
 */

export type { LivePoint, LiveSecond } from './live-window';
export type { Freshness } from './freshness';

/** The window every live number on screen covers (the last complete second). */
export const LIVE_WINDOW_LABEL = 'last 1 s';

export type { LivePoolSummary } from './live-frame';
export { causeList } from './live-frame';

/**
 * The browser's clock, re-read exactly when the first of `deadlines` (ms, browser clock) passes:
 * staleness flips the moment a number is STALE_AFTER_MS old, even when nothing arrives, without
 * re-rendering on a timer otherwise (the note shows since when, not a ticking age).
 */
export function useNowAt(deadlines: readonly (number | null)[]): number {
  const [, bump] = useState(0);
  const now = Date.now();
  const next = Math.min(...deadlines.filter((d): d is number => d !== null && d > now));
  useEffect(() => {
    if (!Number.isFinite(next)) return;
    const t = setTimeout(() => bump((n) => n + 1), next - Date.now() + 5);
    return () => clearTimeout(t);
  }, [next]);
  return now;
}

/** Every pool's newest complete second, keyed by pool id (the overview), with each pool's freshness. */
export function useLiveStats(): { pools: Record<string, LivePoolSummary>; loading: boolean; freshness: (poolId: string) => Freshness } {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [initial] = useState(() => initialLiveState(qc.getQueryData(trpc.stats.liveNow.queryKey()), Date.now()));
  // The server's frame stands for one push, once: dropped after use, so coming back to the page
  // takes the next server render's frame (hydrated fresh) instead of this old one.
  useEffect(() => qc.removeQueries({ queryKey: trpc.stats.liveNow.queryKey() }), [qc, trpc]);
  const [latest, setLatest] = useState<Record<string, LivePoolSummary>>(initial.latest);
  const [view, setView] = useState<LinkView>(initial.view);
  const lastPushAt = useRef<number | null>(initial.lastPushAt);
  const now = useNowAt([lastPushAt.current === null ? null : lastPushAt.current + STALE_AFTER_MS + 1, ...Object.values(latest).map((s) => s.receivedAt + STALE_AFTER_MS + 1)]);
  const sub = useSubscription(
    trpc.stats.live.subscriptionOptions(undefined, {
      onData: (frame) => {
        const receivedAt = Date.now();
        lastPushAt.current = receivedAt;
        setView(linkView(frame));
        // A pool missing from this push keeps its last second (greyed out as stale, with its time).
        setLatest((prev) => ({ ...prev, ...poolSummaries(frame, receivedAt) }));
      },
    }),
  );
  const clock = useHydrated() ? clockTime : utcClockTime;
  const fresh = (poolId: string) => {
    const s = latest[poolId];
    return freshness({ now, lastPushAt: lastPushAt.current, lastDataAt: s?.receivedAt ?? null, lastDataTs: s?.ts ?? null, reporters: s?.reporters ?? [], ...view, clock });
  };
  const seeded = Object.keys(initial.latest).length > 0;
  return { pools: latest, loading: !seeded && sub.status === 'connecting' && sub.data === undefined, freshness: fresh };
}

/**
 * The pool's last five minutes, one second per backend plus what clients got: the stored seconds
 * first, then each pushed second appended (and the oldest dropped) as it arrives. `untilTs` is the
 * newest second pushed at all, so seconds without this pool show as gaps up to it.
 */
export function useLivePool(poolId: string): { seconds: LiveSecond[]; latest: LiveSecond | undefined; untilTs: number; loading: boolean; freshness: Freshness } {
  const trpc = useTRPC();
  const history = useQuery(trpc.stats.history.queryOptions({ poolId, range: '5m' }));
  const [pushed, setPushed] = useState<LiveSecond[]>([]);
  const [untilTs, setUntilTs] = useState(0);
  const [view, setView] = useState<LinkView>({ links: [], notificationsDownSince: null });
  const marks = useRef<{ lastPushAt: number | null; lastDataAt: number | null; reporters: string[] }>({ lastPushAt: null, lastDataAt: null, reporters: [] });
  const starts = useRef(0);
  // Seconds pushed while the tab is hidden wait here and are drawn at once when it shows again:
  // a hidden page does no rendering work for them.
  const hiddenQueue = useRef<LiveSecond[]>([]);
  const hiddenPush = useRef<{ ts: number; view: LinkView } | null>(null);
  useEffect(() => {
    const onVisible = () => {
      const push = hiddenPush.current;
      if (document.hidden || !push) return;
      hiddenPush.current = null;
      const queued = hiddenQueue.current.splice(0);
      setView(push.view);
      setUntilTs(push.ts);
      if (queued.length) setPushed((prev) => mergeWindow(prev, queued));
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, []);
  const m = marks.current;
  const now = useNowAt([m.lastPushAt === null ? null : m.lastPushAt + STALE_AFTER_MS + 1, m.lastDataAt === null ? null : m.lastDataAt + STALE_AFTER_MS + 1]);
  useSubscription(
    trpc.stats.live.subscriptionOptions(
      { poolId },
      {
        // After a reconnect, read the stored seconds again so the seconds missed meanwhile fill in.
        onStarted: () => {
          if (starts.current++ > 0) void history.refetch();
        },
        onData: (frame) => {
          const at = Date.now();
          marks.current.lastPushAt = at;
          const p = frame.pools[poolId];
          if (p) {
            marks.current.lastDataAt = at;
            marks.current.reporters = p.reporters;
          }
          const second: LiveSecond | undefined = p && { ts: frame.ts, backends: Object.fromEntries(Object.entries(p.backends).map(([id, b]) => [id, { ...b, ts: frame.ts }])), traffic: p.traffic };
          if (document.hidden) {
            if (second) hiddenQueue.current.push(second);
            hiddenPush.current = { ts: frame.ts, view: linkView(frame) };
            return;
          }
          // One render per push: React batches these state updates together.
          setView(linkView(frame));
          setUntilTs(frame.ts);
          if (second) setPushed((prev) => mergeWindow(prev, [...hiddenQueue.current.splice(0), second]));
        },
      },
    ),
  );
  const seconds = useMemo(() => {
    // The store's newest second was still filling in when it was read; its push completes it.
    const stored = (history.data?.points ?? []).slice(0, -1).map((p) => ({ ts: p.ts, backends: p.backends ?? {}, traffic: p }));
    return mergeWindow(stored, pushed);
  }, [history.data, pushed]);
  const latest = seconds[seconds.length - 1];
  const fresh = freshness({ now, lastPushAt: marks.current.lastPushAt, lastDataAt: marks.current.lastDataAt, lastDataTs: latest?.ts ?? null, reporters: marks.current.reporters, ...view });
  return { seconds, latest, untilTs, loading: history.isLoading, freshness: fresh };
}

export type THistoryRange = '1h' | '24h';

const REFRESH_MS: Record<THistoryRange, number> = { '1h': 10_000, '24h': 60_000 };

/** The pool's stored history (10 s points for an hour, 1 min points for a day), re-read as new rollups land. */
export function usePoolHistory(poolId: string, range: THistoryRange) {
  const trpc = useTRPC();
  return useQuery({ ...trpc.stats.history.queryOptions({ poolId, range }), refetchInterval: REFRESH_MS[range] });
}
