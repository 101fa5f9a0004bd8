import { describe, expect, it } from 'vitest';
import { canaryWeights } from './canary-weights';

const share = (w: Map<string, number>, ids: string[]) => ids.reduce((a, id) => a + w.get(id)!, 0) / [...w.values()].reduce((a, b) => a + b, 0);

describe('canary weights', () => {
  it('gives the new version its percentage and keeps proportions inside each group', () => {
    const w = canaryWeights(
      [
        { id: 'o1', weight: 1 },
        { id: 'o2', weight: 3 },
      ],
      [{ id: 'n1', weight: 1 }],
      10,
    );
    expect(share(w, ['n1'])).toBeCloseTo(0.1, 2);
    expect(w.get('o2')! / w.get('o1')!).toBeCloseTo(3, 1);
  });
  it('stays within 1..1000 at the extremes', () => {
    const w = canaryWeights(
      [{ id: 'o', weight: 1 }],
      [
        { id: 'a', weight: 1 },
        { id: 'b', weight: 1 },
      ],
      99,
    );
    expect(w.get('o')).toBe(10);
    expect(w.get('a')).toBe(495);
    const tiny = canaryWeights(
      Array.from({ length: 20 }, (_, i) => ({ id: `o${i}`, weight: 1 })),
      [{ id: 'n', weight: 1 }],
      1,
    );
    expect(Math.min(...tiny.values())).toBeGreaterThanOrEqual(1);
    expect(Math.max(...tiny.values())).toBeLessThanOrEqual(1000);
  });
});
