import { emptyBackendStats } from '@fulcrum/protocol';
import { describe, expect, it } from 'vitest';
import { type LivePoint, LIVE_WINDOW_MS, type LiveSecond, mergeWindow, withGaps } from './live-window';

const point = (ts: number, requests: number): LivePoint => ({ ...emptyBackendStats(), ts, requests, health: 'healthy' });
const second = (ts: number, requests = 1): LiveSecond => ({ ts, backends: { b1: point(ts, requests) } });

describe('mergeWindow', () => {
  it('appends a pushed second after the stored ones, oldest first', () => {
    expect(mergeWindow([second(2000), second(1000)], [second(3000)]).map((s) => s.ts)).toEqual([1000, 2000, 3000]);
  });

  it('lets the pushed second win over a stored one read while it was still filling in', () => {
    const merged = mergeWindow([second(1000, 4)], [second(1000, 9)]);
    expect(merged).toHaveLength(1);
    expect(merged[0]?.backends.b1?.requests).toBe(9);
  });

  it('keeps five minutes before the newest second and drops the rest', () => {
    const newest = 1_000_000;
    const merged = mergeWindow([second(newest - LIVE_WINDOW_MS), second(newest - LIVE_WINDOW_MS + 1000)], [second(newest)]);
    expect(merged.map((s) => s.ts)).toEqual([newest - LIVE_WINDOW_MS + 1000, newest]);
  });

  it('fills seconds missed while reconnecting from a fresh read of the store', () => {
    const pushed = [second(1000), second(4000)];
    expect(mergeWindow([second(2000), second(3000)], pushed).map((s) => s.ts)).toEqual([1000, 2000, 3000, 4000]);
  });
});

describe('withGaps', () => {
  it('has every second up to the newest push, with null where the pool was not reported', () => {
    const t = withGaps([second(1000), second(2000), second(5000)], 7000);
    expect(t.map((s) => [s.ts, s.data === null])).toEqual([
      [1000, false],
      [2000, false],
      [3000, true],
      [4000, true],
      [5000, false],
      [6000, true],
      [7000, true],
    ]);
  });

  it('is empty without data, and never longer than the window', () => {
    expect(withGaps([], 5000)).toEqual([]);
    const t = withGaps([second(0)], LIVE_WINDOW_MS * 2);
    expect(t).toHaveLength(LIVE_WINDOW_MS / 1000);
    expect(t.every((s) => s.data === null)).toBe(true);
  });
});
