import { Buffer, isUtf8 } from 'node:buffer';

/**
 * The characters of HTTP fields (RFC 9110 §5), checked a character at a time: a regular
 * expression or a lower-cased copy per field cost more than the rest of a small request's
 * parse, and these run for every field of every head in both directions.
 */

/**
 * Bytes the parsers look for. Literals, not module constants: the bundle turns a module's
 * `const` into a variable that optimized code loads again at every use, in every byte's loop.
 */
export const enum Byte {
  HTAB = 9,
  LF = 10,
  CR = 13,
  SP = 32,
  DIGIT_0 = 48,
  DIGIT_1 = 49,
  DIGIT_9 = 57,
  COLON = 58,
  DEL = 127,
}

/** tchar: what a token (a field name, a method, a list element) may hold; 1 at each such byte. */
export const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) {
  TCHAR[c] = 1;
  TCHAR[c + 0x20] = 1;
}

export function isToken(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80 || TCHAR[c] === 0) return false;
  }
  return true;
}

/** Whether every character of `text` from `from` to `to` is one `table` marks (1 at each allowed byte; nothing above 0xFF). */
export function allIn(table: Uint8Array, text: string, from = 0, to = text.length): boolean {
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff || table[c] === 0) return false;
  }
  return true;
}

/** A byte table marking each character of `chars` and of the inclusive ranges `[lo, hi]`. */
export function byteTable(chars: string, ...ranges: [number, number][]): Uint8Array {
  const table = new Uint8Array(256);
  for (const c of chars) table[c.charCodeAt(0)] = 1;
  for (const [lo, hi] of ranges) for (let c = lo; c <= hi; c++) table[c] = 1;
  return table;
}

/** What a field value may hold: visible ASCII, obs-text, SP and HTAB (no CTL, no DEL); 1 at each such byte. */
export const VALUE_BYTE = new Uint8Array(256);
for (let c = 0x20; c <= 0xff; c++) VALUE_BYTE[c] = 1;
VALUE_BYTE[0x7f] = 0;
VALUE_BYTE[0x09] = 1;

/** Whether `text` from `from` to `to` may be a field value (see `VALUE_BYTE`). */
export function isFieldValue(text: string, from = 0, to = text.length): boolean {
  return allIn(VALUE_BYTE, text, from, to);
}

/**
 * Configured text as its UTF-8 bytes, one character per byte, as the proxy holds every field
 * (heads are read and written as latin1). Written as latin1 as it is, a character beyond U+00FF
 * would lose its high byte: a configured U+010D U+010A would go out as CR LF and end the line.
 */
export function fieldBytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/**
 * A received field as text, the reverse of `fieldBytes`: fields are held as their bytes (one
 * character per byte), so a value holding bytes above 0x7F is read as UTF-8 when it is valid
 * UTF-8 (a route's `caf\u00e9` then matches the two bytes a client sends for it), and left as
 * it is otherwise (ASCII, or bytes that are no UTF-8, read as latin1).
 */
export function fieldText(bytes: string): string {
  const n = bytes.length;
  let i = 0;
  while (i < n && bytes.charCodeAt(i) < 0x80) i++;
  if (i === n) return bytes;
  const buf = Buffer.from(bytes, 'latin1');
  return isUtf8(buf) ? buf.toString('utf8') : bytes;
}

/** Whether `s` is `lower` (written in lower case) in any case, without making a lower-cased copy. */
export function isNamed(s: string, lower: string): boolean {
  const n = lower.length;
  if (s.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    const l = lower.charCodeAt(i);
    if (c !== l && !(l >= 0x61 && l <= 0x7a && c === l - 0x20)) return false;
  }
  return true;
}

const isOws = (c: number) => c === 0x20 || c === 0x09;

/** `text` from `from` to `to` without optional whitespace (SP, HTAB) at either end: one slice, none when nothing is cut. */
export function owsTrimmed(text: string, from = 0, to = text.length): string {
  let a = from;
  let b = to;
  while (a < b && isOws(text.charCodeAt(a))) a++;
  while (b > a && isOws(text.charCodeAt(b - 1))) b--;
  return a === 0 && b === text.length ? text : text.slice(a, b);
}

/**
 * The protocols an Upgrade field lists (RFC 9110 §7.8: `token ["/" token]`, comma-separated),
 * lower-cased; undefined when the list is empty or an element is no protocol.
 */
export function upgradeProtocols(value: string): string[] | undefined {
  const out: string[] = [];
  for (const part of value.split(',')) {
    const element = owsTrimmed(part);
    if (element === '') continue;
    const slash = element.indexOf('/');
    if (slash < 0 ? !isToken(element) : !isToken(element.slice(0, slash)) || !isToken(element.slice(slash + 1))) return undefined;
    out.push(element.toLowerCase());
  }
  return out.length ? out : undefined;
}

/**
 * Whether the token at `at` in `buf` is `lower` in any case. The bytes are tchars, so setting
 * the case bit matches only a letter's two cases (`lower` is letters and `-`, whose bit is set).
 */
export function namedAt(buf: Buffer, at: number, lower: Buffer): boolean {
  for (let k = 0; k < lower.length; k++) if ((buf[at + k]! | 0x20) !== lower[k]) return false;
  return true;
}

/** What `FieldLine.cut` found at a header line. */
export const enum FieldCut {
  Ok = 0,
  /** No token then a colon: no colon, a name that is not a token, whitespace before the colon, obsolete folding. */
  BadName = 1,
  /** A byte in the value that no field value holds, or the line not ended by CRLF. */
  BadValue = 2,
}

/**
 * Where the parts of one header line lie in a buffer, as both head parsers (request and
 * response) cut them: a token name, a colon, optional whitespace, field-value bytes, CRLF. One
 * object, written by `cut` and read right after: the parses are synchronous, and a result
 * object per line would be garbage on every request.
 */
export class FieldLine {
  /** Where the name ends (the colon, when the cut is Ok; the first byte not a tchar otherwise). */
  nameEnd = 0;
  /** Where the value starts, after optional whitespace. */
  valueStart = 0;
  /** Where the value ends, without optional whitespace at its end. */
  valueEnd = 0;
  /** Where the line's CRLF is (when the cut is Ok; the byte that stopped the value otherwise). */
  eol = 0;
  /** Written `Name: value` as the proxy writes lines: one space after the colon, none at the end. */
  canonical = true;

  /** Cuts the line at `at` of `buf`, each byte checked as it is passed. */
  cut(buf: Buffer, at: number): FieldCut {
    // The byte tables through locals: a module binding is loaded again for every byte of a loop.
    const tchar = TCHAR;
    const valueByte = VALUE_BYTE;
    let i = at;
    while (tchar[buf[i]!] === 1) i++;
    this.nameEnd = i;
    if (i === at || buf[i] !== Byte.COLON) return FieldCut.BadName;
    const nameEnd = i;
    i++;
    while (buf[i] === Byte.SP || buf[i] === Byte.HTAB) i++;
    const valueStart = i;
    while (valueByte[buf[i]!] === 1) i++;
    this.eol = i;
    if (buf[i] !== Byte.CR || buf[i + 1] !== Byte.LF) return FieldCut.BadValue;
    const eol = i;
    while (i > valueStart && (buf[i - 1] === Byte.SP || buf[i - 1] === Byte.HTAB)) i--;
    this.valueStart = valueStart;
    this.valueEnd = i;
    this.canonical = valueStart === nameEnd + 2 && buf[nameEnd + 1] === Byte.SP && i === eol;
    return FieldCut.Ok;
  }
}

/** The one `FieldLine` the head parsers share. */
export const FIELD_LINE = new FieldLine();
