import { describe, expect, it } from 'vitest';
import { leastResponseTime } from './least-response-time';
import { backendsOf, deps, except, fixedLoad, sequence } from './test-support';

describe('least response time', () => {
  it.each([
    [{ a: 20, b: 5, c: 9 }, {}, 'b b b'],
    // c has no measurement yet (0): it is probed first.
    [{ a: 20, b: 5 }, {}, 'c c c'],
    // equal latency: fewer in flight wins
    [{ a: 5, b: 5, c: 5 }, { a: 4, b: 1, c: 2 }, 'b b b'],
    // equal latency and load: rotate
    [{ a: 5, b: 5, c: 5 }, { a: 1, b: 1, c: 1 }, 'a b c'],
    [{}, {}, 'a b c'],
    // latency before load
    [{ a: 5, b: 6, c: 7 }, { a: 50, b: 0, c: 0 }, 'a a a'],
  ])('latency %j, active %j give %s', (latency, active, expected) => {
    expect(sequence(leastResponseTime(backendsOf([1, 1, 1]), deps({ load: fixedLoad(active, latency) })), 3)).toBe(expected);
  });

  it('passes over refused backends', () => {
    const b = leastResponseTime(backendsOf([1, 1, 1]), deps({ load: fixedLoad({}, { a: 1, b: 2, c: 3 }) }));
    expect(sequence(b, 2, except('a'))).toBe('b b');
    expect(sequence(b, 2, except('a', 'b'))).toBe('c c');
  });
});
