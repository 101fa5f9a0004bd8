import { describe, expect, it } from 'vitest';
import { isFieldValue, isNamed, isToken, owsTrimmed } from './field-syntax';

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

describe('field syntax, a character at a time', () => {
  it('isToken agrees with the RFC 9110 tchar pattern on every single character and on mixed strings', () => {
    for (let c = 0; c < 0x180; c++) {
      const s = String.fromCharCode(c);
      expect(isToken(s), `U+${c.toString(16)}`).toBe(TOKEN.test(s));
      expect(isToken(`a${s}b`), `a U+${c.toString(16)} b`).toBe(TOKEN.test(`a${s}b`));
    }
    expect(isToken('')).toBe(false);
    expect(isToken('Content-Length')).toBe(true);
    expect(isToken('X Header')).toBe(false);
  });

  it('isFieldValue agrees with the field-value pattern on every character, within the range asked', () => {
    for (let c = 0; c < 0x200; c++) {
      const s = String.fromCharCode(c);
      expect(isFieldValue(`a${s}b`), `U+${c.toString(16)}`).toBe(FIELD_VALUE.test(`a${s}b`));
      // Outside the range asked, a bad character is not looked at.
      expect(isFieldValue(`\0ok${s}`, 1, 3)).toBe(true);
    }
    expect(isFieldValue('')).toBe(true);
  });

  it('isNamed matches a lower-case name in any case and nothing else, including neighbours 0x20 apart', () => {
    expect(isNamed('Content-Length', 'content-length')).toBe(true);
    expect(isNamed('CONTENT-LENGTH', 'content-length')).toBe(true);
    expect(isNamed('content-length', 'content-length')).toBe(true);
    expect(isNamed('Content-Lengths', 'content-length')).toBe(false);
    expect(isNamed('Content_Length', 'content-length')).toBe(false);
    // CR is '-' less 0x20: not a case of it. '~' and '^', '{' and '[' likewise.
    expect(isNamed('content\rlength', 'content-length')).toBe(false);
    expect(isNamed('x^', 'x~')).toBe(false);
    expect(isNamed('[', '{')).toBe(false);
    // Only ASCII letters have cases here: 'é' (0xE9) is not 'É' (0xC9) lower-cased by this.
    expect(isNamed('\xc9', '\xe9')).toBe(false);
    for (let c = 0; c < 0x100; c++) {
      const s = String.fromCharCode(c);
      const expected = s.toLowerCase() === 'k' || s === 'k';
      expect(isNamed(s, 'k'), `U+${c.toString(16)}`).toBe(expected);
    }
  });

  it('owsTrimmed takes off spaces and tabs only, at both ends', () => {
    expect(owsTrimmed('  a b \t')).toBe('a b');
    expect(owsTrimmed('abc')).toBe('abc');
    expect(owsTrimmed(' \t ')).toBe('');
    expect(owsTrimmed('Name: value \r\n', 5, 12)).toBe('value');
    // Not whitespace in a field: kept (String.prototype.trim would take NBSP and VT off).
    expect(owsTrimmed('\xa0v\xa0')).toBe('\xa0v\xa0');
    expect(owsTrimmed('\vv')).toBe('\vv');
  });
});
