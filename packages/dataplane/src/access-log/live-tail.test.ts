import { accessRecord } from '@fulcrum/test-support';
import { ZTailLinesMessage } from '@fulcrum/protocol';
import { describe, expect, it } from 'vitest';
import { LiveTail } from './live-tail';

const record = accessRecord;

describe('live tail', () => {
  it('keeps only watched pools, at most the bound per second, and counts the rest as dropped', () => {
    let now = 10_000;
    const tail = new LiveTail(() => now, 3);
    expect(tail.watching('p1')).toBe(false);
    tail.watch(['p1']);
    expect(tail.watching('p1')).toBe(true);
    expect(tail.watching('p2')).toBe(false);
    for (let i = 0; i < 5; i++) tail.offer(record({ path: `/${i}` }));
    const first = tail.take()!;
    expect(first.lines.map((l) => l.path)).toEqual(['/0', '/1', '/2']);
    expect(first.dropped).toBe(2);
    // Still the same second: taking the batch does not reopen the window.
    tail.offer(record());
    expect(tail.take()).toEqual({ lines: [], dropped: 1 });
    now += 1000;
    tail.offer(record({ path: '/next' }));
    expect(tail.take()!.lines.map((l) => l.path)).toEqual(['/next']);
    expect(tail.take()).toBeUndefined();
  });

  it('forgets what waits when nobody watches any more', () => {
    const tail = new LiveTail(() => 0, 10);
    tail.watch(['p1']);
    tail.offer(record());
    tail.watch([]);
    expect(tail.watching('p1')).toBe(false);
    expect(tail.take()).toBeUndefined();
  });

  it('cuts records to the link limits, so a long path never gets the batch refused', () => {
    const tail = new LiveTail(() => 0, 10);
    tail.watch(['p1']);
    tail.offer(record({ path: `/${'a'.repeat(100_000)}`, userAgent: 'u'.repeat(5000), durationMs: 10 * 86_400_000 }));
    const batch = tail.take()!;
    expect(ZTailLinesMessage.safeParse({ type: 'tail_lines', ...batch }).success).toBe(true);
    expect(batch.lines[0]!.path).toHaveLength(2048);
  });
});
