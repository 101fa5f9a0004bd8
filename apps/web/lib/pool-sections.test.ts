import { describe, expect, it } from 'vitest';
import { poolSectionHref, poolSectionOf } from './pool-sections';

describe('pool sections in the URL', () => {
  it('reads a known section and falls back to the overview for anything else', () => {
    expect(poolSectionOf('config')).toBe('config');
    expect(poolSectionOf('events')).toBe('events');
    expect(poolSectionOf(null)).toBe('overview');
    expect(poolSectionOf('CONFIG')).toBe('overview');
    expect(poolSectionOf('__proto__')).toBe('overview');
  });
  it('links the overview without a query and the others with one', () => {
    expect(poolSectionHref('p1', 'overview')).toBe('/pools/p1');
    expect(poolSectionHref('p1', 'deploys')).toBe('/pools/p1?section=deploys');
  });
});
