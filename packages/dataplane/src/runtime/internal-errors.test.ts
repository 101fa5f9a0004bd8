import { afterEach, describe, expect, it } from 'vitest';
import { internalErrors } from './internal-errors';

afterEach(() => internalErrors.forwardTo(undefined));

describe('internal errors', () => {
  it('passes every kind it records on (a cluster worker tells its primary, whose /metrics shows them)', () => {
    const forwarded: string[] = [];
    internalErrors.forwardTo((kind) => forwarded.push(kind));
    const before = { ...internalErrors.counts };
    for (const kind of ['exchange', 'apply', 'uncaught_exception', 'unhandled_rejection'] as const) internalErrors.record(kind, new Error(kind));
    expect(forwarded).toEqual(['exchange', 'apply', 'uncaught_exception', 'unhandled_rejection']);
    expect(internalErrors.counts.exchange).toBe(before.exchange + 1);
    expect(internalErrors.counts.apply).toBe(before.apply + 1);
  });
});
