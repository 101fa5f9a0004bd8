import { describe, expect, it } from 'vitest';
import { compileRouteRegex } from './route-regex';

describe('compileRouteRegex', () => {
  it('runs patterns that are catastrophic for a backtracking engine in linear time', () => {
    const re = compileRouteRegex('^/(a+)+$');
    // A backtracking engine takes 2^n steps here (n = 30: minutes); this one answers at once.
    expect(re.test(`/${'a'.repeat(30)}!`)).toBe(false);
    expect(re.test('/aaaa')).toBe(true);
    expect(compileRouteRegex('^/(?:a|aa)*$').test(`/${'a'.repeat(40)}b`)).toBe(false);
  });

  it('refuses what needs backtracking, with the reason', () => {
    expect(() => compileRouteRegex('^/(a)\\1')).toThrow(/backreferences/);
    expect(() => compileRouteRegex('^/(?!admin)')).toThrow(/lookahead/);
    expect(() => compileRouteRegex('(')).toThrow(/does not compile/);
  });
});
