import { describe, expect, it } from 'vitest';
import { type StatsClock, completeSeconds } from './complete-seconds';

/** Virtual time: sleeping moves the clock by what `wake` says the sleep really took. */
function virtualClock(start: number, wake: (ms: number, call: number) => number): StatsClock & { t: number } {
  let call = 0;
  const clock = {
    t: start,
    now: () => clock.t,
    sleep: async (ms: number) => {
      clock.t += wake(ms, call++);
    },
  };
  return clock;
}

async function take(gen: AsyncGenerator<number>, n: number): Promise<number[]> {
  const out: number[] = [];
  for await (const s of gen) {
    out.push(s);
    if (out.length === n) break;
  }
  return out;
}

describe('completeSeconds', () => {
  it('yields each complete second once it has settled, 1000 ms apart', async () => {
    const clock = virtualClock(10_450, (ms) => ms);
    const seen: [number, number][] = [];
    for await (const s of completeSeconds(clock, 300)) {
      seen.push([s, clock.now()]);
      if (seen.length === 3) break;
    }
    // At 10.45 s the second 10 s..11 s is in progress; it is complete at 11 s and settled at 11.3 s.
    expect(seen).toEqual([
      [10_000, 11_300],
      [11_000, 12_300],
      [12_000, 13_300],
    ]);
  });

  it('never repeats a second when timers fire a little early by the wall clock', async () => {
    // node:timers measure on a monotonic clock; Date.now() can read up to a millisecond behind at wake-up.
    const clock = virtualClock(5_199, (ms) => Math.max(1, ms - 1));
    const seconds = await take(completeSeconds(clock, 300), 5);
    expect(seconds.slice(1).map((s, i) => s - seconds[i]!)).toEqual([1000, 1000, 1000, 1000]);
  });

  it('catches up second by second after a stall instead of skipping, and jumps after a long one', async () => {
    const late = virtualClock(20_300, (ms, call) => (call === 1 ? ms + 3_500 : ms));
    const seconds = await take(completeSeconds(late, 300), 6);
    expect(seconds).toEqual([20_000, 21_000, 22_000, 23_000, 24_000, 25_000]);

    const stalled = virtualClock(20_300, (ms, call) => (call === 1 ? ms + 60_000 : ms));
    const after = await take(completeSeconds(stalled, 300), 3);
    expect(after[0]).toBe(20_000);
    expect(after[1]).toBe(21_000);
    // Now is 82.3 s: the newest complete second is 81 s, and nothing older than it comes next.
    expect(after[2]).toBe(81_000);
  });

  it('fromNewest: yields the newest complete second at once, then each next one', async () => {
    let slept = 0;
    const clock = virtualClock(10_450, (ms) => ((slept += ms), ms));
    const seconds = await take(completeSeconds(clock, 300, undefined, { fromNewest: true }), 1);
    // 10 450 - 300 settles second 9 000 (complete at 10 000 + 300 settle): no wait at all.
    expect(seconds).toEqual([9000]);
    expect(slept).toBe(0);
    expect(
      await take(
        completeSeconds(
          virtualClock(10_450, (ms) => ms),
          300,
          undefined,
          { fromNewest: true },
        ),
        3,
      ),
    ).toEqual([9000, 10_000, 11_000]);
  });

  it('stops when its signal aborts', async () => {
    const abort = new AbortController();
    const clock = virtualClock(0, (ms) => {
      abort.abort();
      return ms;
    });
    expect(await take(completeSeconds(clock, 300, abort.signal), 3)).toEqual([]);
  });
});
