import { setTimeout as sleep } from 'node:timers/promises';

/** Wall-clock time and waiting, passed in so the live stream's seconds are exact in tests. */
export interface StatsClock {
  now(): number;
  /** Resolves after `ms` (or early when `signal` aborts). */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: StatsClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }).catch(() => undefined),
};

/**
 * The start (ms) of the newest second that is complete with `settleMs` more passed: the one the
 * live stream yields first (`fromNewest`), and the one a page rendered on the server shows.
 */
export function newestCompleteSecond(clock: StatsClock, settleMs: number): number {
  return Math.floor((clock.now() - settleMs) / 1000) * 1000 - 1000;
}

/** After a stall longer than this, skip to the newest second rather than replaying the backlog. */
const MAX_BACKLOG_MS = 10_000;

/**
 * Yields the start (ms) of each second once it is complete and `settleMs` more have passed, so
 * that its frames are in: each value is exactly 1000 after the one before. A timer may fire a
 * little early by the wall clock, and a busy process may wake late; the second to yield is
 * therefore counted here, never read back from the clock after waking (which could repeat or
 * skip one). `fromNewest` starts with the newest second already complete, at once, so a
 * dashboard that just opened has numbers without waiting for the next second to end.
 */
export async function* completeSeconds(clock: StatsClock, settleMs: number, signal?: AbortSignal, { fromNewest = false }: { fromNewest?: boolean } = {}): AsyncGenerator<number> {
  let second = newestCompleteSecond(clock, settleMs) + (fromNewest ? 0 : 1000);
  while (!signal?.aborted) {
    const due = second + 1000 + settleMs;
    const wait = due - clock.now();
    if (wait > 0) {
      await clock.sleep(wait, signal);
      continue;
    }
    yield second;
    const newest = newestCompleteSecond(clock, settleMs);
    second = newest - second > MAX_BACKLOG_MS ? newest : second + 1000;
  }
}
