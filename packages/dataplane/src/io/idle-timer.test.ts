import { afterEach, describe, expect, it, vi } from 'vitest';
import { IdleTimer } from './idle-timer';

const timers: IdleTimer[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const t of timers.splice(0)) t.stop();
});

/** A timer whose firings are counted and timed. */
function watched(): { timer: IdleTimer; fired: number[]; next: () => Promise<number> } {
  const fired: number[] = [];
  const waiters: ((t: number) => void)[] = [];
  const timer = new IdleTimer(() => {
    const t = performance.now();
    fired.push(t);
    waiters.shift()?.(t);
  });
  timers.push(timer);
  return { timer, fired, next: () => new Promise<number>((resolve) => waiters.push(resolve)) };
}

/** Touches `timer` every `everyMs` for `forMs`; resolves with the time of the last touch. */
async function keepBusy(timer: IdleTimer, everyMs: number, forMs: number): Promise<number> {
  const end = performance.now() + forMs;
  let last = performance.now();
  while (performance.now() < end) {
    await new Promise((r) => setTimeout(r, everyMs));
    timer.touch();
    last = performance.now();
  }
  return last;
}

// Lower bounds only: a loaded machine fires later, never sooner.
describe('IdleTimer: an inactivity limit that reads and writes defer without touching a timer', () => {
  it('fires after the armed limit of silence', async () => {
    const { timer, next } = watched();
    const t0 = performance.now();
    timer.arm(120);
    expect((await next()) - t0).toBeGreaterThanOrEqual(119);
  });

  it('activity defers it: a connection busy for three limits is not cut, then is cut a full limit after its last activity', async () => {
    const { timer, fired, next } = watched();
    timer.arm(300);
    const fires = next();
    const last = await keepBusy(timer, 10, 1000);
    expect(fired).toHaveLength(0);
    expect((await fires) - last).toBeGreaterThanOrEqual(299);
  });

  it('a busy connection schedules about one timer per limit, not one per read or write', async () => {
    const { timer } = watched();
    const scheduled = vi.spyOn(globalThis, 'setTimeout');
    const t0 = performance.now();
    timer.arm(100);
    // 40 touches, 10 ms apart (the loop's own waits are counted too, and taken off).
    const waits = 40;
    for (let i = 0; i < waits; i++) {
      await new Promise((r) => setTimeout(r, 10));
      timer.touch();
    }
    const byTimer = scheduled.mock.calls.length - waits;
    // One at the arming, then one each time a limit's length has passed (however long the loop took).
    expect(byTimer).toBeGreaterThanOrEqual(1);
    expect(byTimer).toBeLessThanOrEqual(Math.ceil((performance.now() - t0) / 100) + 1);
    expect(byTimer).toBeLessThan(waits / 2);
  });

  it('a shorter limit armed over a longer one takes effect at once', async () => {
    const { timer, next } = watched();
    timer.arm(60_000);
    const t0 = performance.now();
    timer.arm(80);
    const at = await next();
    expect(at - t0).toBeGreaterThanOrEqual(79);
    expect(at - t0).toBeLessThan(30_000);
  });

  it('a longer limit armed over a shorter one is waited for in full', async () => {
    const { timer, next } = watched();
    timer.arm(40);
    const t0 = performance.now();
    timer.arm(250);
    expect((await next()) - t0).toBeGreaterThanOrEqual(249);
  });

  it('fires again after a further silence when its handler neither stops nor re-arms it', async () => {
    const { timer, next } = watched();
    timer.arm(60);
    const first = await next();
    expect((await next()) - first).toBeGreaterThanOrEqual(59);
  });

  it('stop and a limit of 0 cancel it', async () => {
    const a = watched();
    const b = watched();
    a.timer.arm(50);
    a.timer.stop();
    b.timer.arm(50);
    b.timer.arm(0);
    const c = watched();
    c.timer.arm(200);
    await c.next();
    expect(a.fired).toHaveLength(0);
    expect(b.fired).toHaveLength(0);
  });
});
