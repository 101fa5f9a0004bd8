import { describe, expect, it } from 'vitest';
import { leastConnections } from './least-connections';
import { backendsOf, deps, except, fixedLoad, sequence } from './test-support';

describe('least connections', () => {
  it.each([
    [{ a: 3, b: 1, c: 2 }, [1, 1, 1], 'b b b b'],
    [{ a: 3, b: 1, c: 1 }, [1, 1, 1], 'b c b c'],
    [{}, [1, 1, 1], 'a b c a'],
    [{ a: 2, b: 2, c: 0 }, [9, 1, 1], 'c c c c'],
  ])('active %j with weights %j (ignored) give %s', (active, weights, expected) => {
    expect(sequence(leastConnections(backendsOf(weights), deps({ load: fixedLoad(active) })), 4)).toBe(expected);
  });

  it('passes over refused backends even when they are the least loaded', () => {
    const b = leastConnections(backendsOf([1, 1, 1]), deps({ load: fixedLoad({ a: 3, b: 0, c: 1 }) }));
    expect(sequence(b, 3, except('b'))).toBe('c c c');
  });

  it('follows live load as it changes', () => {
    const active: Record<string, number> = { a: 0, b: 0, c: 0 };
    const b = leastConnections(backendsOf([1, 1, 1]), deps({ load: fixedLoad(active) }));
    const picks: string[] = [];
    for (let i = 0; i < 6; i++) {
      const id = b.select({ clientIp: '', hashKey: '' }, () => true)!.id;
      picks.push(id);
      active[id]! += id === 'a' ? 2 : 1; // a's requests last twice as long
    }
    expect(picks.join(' ')).toBe('a b c b c a');
  });
});
