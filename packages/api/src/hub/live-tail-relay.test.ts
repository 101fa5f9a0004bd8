import { getEventListeners } from 'node:events';
import { accessRecord } from '@fulcrum/test-support';
import { describe, expect, it } from 'vitest';
import { TailWatcher } from './live-tail-relay';

describe('a tail watcher', () => {
  it('leaves no listener on the subscription signal per batch: a watch of hours does not grow', async () => {
    const w = new TailWatcher('p1');
    const signal = new AbortController().signal;
    for (let i = 0; i < 200; i++) {
      const waiting = w.next(signal, 60_000);
      w.push([accessRecord({ path: `/${i}` })], 0);
      expect((await waiting)?.lines).toHaveLength(1);
      // Idle batches too (the coverage note every 5 s).
      expect(await w.next(signal, 1)).toEqual({ lines: [], dropped: 0 });
    }
    expect(getEventListeners(signal, 'abort')).toHaveLength(0);
  });

  it('keeps at most 1000 lines for a slow reader and counts the rest as dropped', async () => {
    const w = new TailWatcher('p1');
    w.push(
      Array.from({ length: 1500 }, () => accessRecord()),
      3,
    );
    const batch = await w.next(new AbortController().signal);
    expect(batch?.lines).toHaveLength(1000);
    expect(batch?.dropped).toBe(503);
  });

  it('ends the wait when the subscription aborts', async () => {
    const w = new TailWatcher('p1');
    const ac = new AbortController();
    const waiting = w.next(ac.signal);
    ac.abort();
    expect(await waiting).toBeUndefined();
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(0);
  });
});
