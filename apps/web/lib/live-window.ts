import type { TBackendStats } from '@fulcrum/protocol';

/** One backend's merged second as the control plane pushes it. */
export type LivePoint = Omit<TBackendStats, 'backendId'> & { ts: number };

/** A pool's second: every backend a data plane reported on. */
export interface LiveSecond {
  ts: number;
  backends: Record<string, LivePoint>;
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
