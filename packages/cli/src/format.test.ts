import { describe, expect, it } from 'vitest';
import { parseAddress, parseDuration, table } from './format';

describe('fulcrumctl formatting and parsing', () => {
  it('parses durations with units and refuses nonsense naming the flag', () => {
    expect(parseDuration('500ms', '--pause')).toBe(500);
    expect(parseDuration('10s', '--pause')).toBe(10_000);
    expect(parseDuration('2m', '--pause')).toBe(120_000);
    expect(parseDuration('250', '--pause')).toBe(250);
    expect(() => parseDuration('soon', '--pause')).toThrow(/--pause/);
  });
  it('parses host:port including bracketed IPv6 and refuses bad ports', () => {
    expect(parseAddress('10.0.0.5:8080')).toEqual({ host: '10.0.0.5', port: 8080 });
    expect(parseAddress('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(() => parseAddress('host')).toThrow(/host:port/);
    expect(() => parseAddress('host:70000')).toThrow(/host:port/);
  });
  it('aligns columns', () => {
    expect(
      table(
        ['A', 'LONGER'],
        [
          ['xx', 1],
          ['y', null],
        ],
      ),
    ).toBe('A   LONGER\nxx  1\ny   -');
  });
});
