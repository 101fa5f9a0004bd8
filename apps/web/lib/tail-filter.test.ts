import type { TAccessRecord } from '@fulcrum/protocol';
import { accessRecord } from '@fulcrum/test-support';
import { describe, expect, it } from 'vitest';
import { NO_FILTER, TAIL_KEEP, appendTail, matchesTail, statusClass } from './tail-filter';

/** A plain 200 to backend 10.0.0.1:80 for a path with upper-case letters and a query. */
const r = (over: Partial<TAccessRecord> = {}): TAccessRecord => accessRecord({ path: '/api/Users?id=1', upstream: '10.0.0.1:80', ...over });

describe('live tail filter', () => {
  it('by status class, path substring (any case) and backend', () => {
    expect(statusClass(0)).toBe('none');
    expect(statusClass(503)).toBe('5xx');
    expect(matchesTail(r(), NO_FILTER)).toBe(true);
    expect(matchesTail(r({ status: 503 }), { ...NO_FILTER, status: '5xx' })).toBe(true);
    expect(matchesTail(r(), { ...NO_FILTER, status: '5xx' })).toBe(false);
    expect(matchesTail(r(), { ...NO_FILTER, path: 'users' })).toBe(true);
    expect(matchesTail(r(), { ...NO_FILTER, path: 'orders' })).toBe(false);
    expect(matchesTail(r(), { ...NO_FILTER, backend: '10.0.0.1:80' })).toBe(true);
    expect(matchesTail(r(), { ...NO_FILTER, backend: '10.0.0.2:80' })).toBe(false);
    expect(matchesTail(r({ upstream: '', status: 503, termination: 'no_healthy_backend' }), { ...NO_FILTER, backend: 'proxy' })).toBe(true);
    expect(matchesTail(r(), { ...NO_FILTER, backend: 'proxy' })).toBe(false);
  });

  it('keeps the newest lines first, bounded', () => {
    const kept = appendTail([], [r({ path: '/1' }), r({ path: '/2' })]);
    expect(kept.map((x) => x.path)).toEqual(['/2', '/1']);
    const many = appendTail(
      kept,
      Array.from({ length: TAIL_KEEP }, (_, i) => r({ path: `/n${i}` })),
    );
    expect(many).toHaveLength(TAIL_KEEP);
    expect(many[0]!.path).toBe(`/n${TAIL_KEEP - 1}`);
  });
});
