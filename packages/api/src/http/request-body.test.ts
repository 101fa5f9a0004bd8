import { describe, expect, it } from 'vitest';
import { assertJsonDepth, parseJsonText } from './request-body';

describe('assertJsonDepth', () => {
  it('counts brackets outside strings only', () => {
    expect(() => assertJsonDepth('[[[1]]]', 3)).not.toThrow();
    expect(() => assertJsonDepth('[[[[1]]]]', 3)).toThrow(/deeper than 3/);
    expect(() => assertJsonDepth('{"a":"[[[[[[\\"[[[[","b":{"c":[]}}', 3)).not.toThrow();
    expect(() => assertJsonDepth('[{},{},{},[],[]]', 2)).not.toThrow();
  });

  it('refuses 5,000-deep JSON before parsing it', () => {
    expect(() => parseJsonText('['.repeat(5000) + ']'.repeat(5000))).toThrow(/nested deeper/);
    expect(() => parseJsonText('{"a":'.repeat(5000) + '1' + '}'.repeat(5000))).toThrow(/nested deeper/);
  });

  it('names malformed JSON as such', () => {
    expect(() => parseJsonText('{"a":')).toThrow(/not valid JSON/);
    expect(parseJsonText('{"a":[1,{"b":null}]}')).toEqual({ a: [1, { b: null }] });
  });
});
