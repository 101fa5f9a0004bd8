import type { TBackendStats, TPoolTraffic } from '@fulcrum/protocol';

/** One backend's merged second as the control plane pushes it. */
export type LivePoint = Omit<TBackendStats, 'backendId' | 'latency'> & { ts: number };

/** A pool's second: what its clients got, and every backend a data plane reported on. */
export interface LiveSecond {
  ts: number;
  backends: Record<string, LivePoint>;
  /** Absent for seconds from data planes without client counters. */
  traffic?: Omit<TPoolTraffic, 'healthy' | 'reported'>;
}

/** A second of the chart's timeline: `data` is null where no data plane reported (drawn as a gap). */
export interface TimelineSecond {
  ts: number;
  data: LiveSecond | null;
}

export const LIVE_WINDOW_MS = 5 * 60_000;

/**
 * Joins seconds into the five-minute window the live charts show, oldest first: a second in
 * `newer` replaces the one with the same ts in `older` (pushed seconds are complete, a stored one
 * may have been read while still filling in), and seconds more than five minutes before the
 * newest drop out. Used both to append each pushed second and to lay the pushes over the history
 * read when the page opened or the subscription reconnected.
 */
export function mergeWindow(older: readonly LiveSecond[], newer: readonly LiveSecond[]): LiveSecond[] {
  const byTs = new Map<number, LiveSecond>();
  for (const s of older) byTs.set(s.ts, s);
  for (const s of newer) byTs.set(s.ts, s);
  const seconds = [...byTs.values()].sort((a, b) => a.ts - b.ts);
  const newest = seconds[seconds.length - 1]?.ts ?? 0;
  return seconds.filter((s) => s.ts > newest - LIVE_WINDOW_MS);
}

/**
 * Every second from the window's start up to `untilTs` (the newest second the control plane
 * pushed, with or without this pool in it), with null where nothing was reported: charts draw a
 * gap there rather than a line carried forward or a drop to zero.
 */
export function withGaps(seconds: readonly LiveSecond[], untilTs: number): TimelineSecond[] {
  const last = Math.max(untilTs, seconds[seconds.length - 1]?.ts ?? 0);
  if (seconds.length === 0) return [];
  const byTs = new Map(seconds.map((s) => [s.ts, s]));
  const first = Math.max(seconds[0]!.ts, last - LIVE_WINDOW_MS + 1000);
  const out: TimelineSecond[] = [];
  for (let ts = first; ts <= last; ts += 1000) out.push({ ts, data: byTs.get(ts) ?? null });
  return out;
}
