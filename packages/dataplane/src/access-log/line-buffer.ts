import { Buffer } from 'node:buffer';
/**
 * Bytes of access-log lines written straight into a buffer, the next batch the writer hands to its
 * stream. A line built as a string cost ~3 KB of garbage per request (each piece of a template
 * a new string, then the batch joined and encoded again), a third more than the rest of a small
 * request allocates; written here, a line allocates nothing. Each write makes room for the most
 * its value can take first, so a line of any length fits (the buffer grows for it).
 */
export class LineBuffer {
  buf: Buffer;
  /** Bytes written so far. */
  off = 0;

  constructor(readonly capacity: number) {
    this.buf = Buffer.allocUnsafeSlow(capacity);
  }

  /** The bytes written, and a fresh buffer for the next ones. */
  take(): Buffer {
    const out = this.buf.subarray(0, this.off);
    this.buf = Buffer.allocUnsafeSlow(this.capacity);
    this.off = 0;
    return out;
  }

  /** Room for `bytes` more: a larger buffer, the bytes so far copied into it, when they do not fit. */
  private room(bytes: number): void {
    if (this.off + bytes <= this.buf.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(2 * this.buf.length, this.off + bytes));
    this.buf.copy(bigger, 0, 0, this.off);
    this.buf = bigger;
  }

  /** Constant ASCII bytes (a key and its punctuation). */
  bytes(b: Uint8Array): void {
    this.room(b.length);
    const buf = this.buf;
    let off = this.off;
    for (let i = 0; i < b.length; i++) buf[off++] = b[i]!;
    this.off = off;
  }

  /** `key` (its constant bytes: `,"name":`), then a string value as JSON. */
  stringField(key: Uint8Array, s: string): void {
    this.bytes(key);
    this.jsonString(s);
  }

  /** `key`, then a number as JSON. */
  numberField(key: Uint8Array, n: number): void {
    this.bytes(key);
    this.jsonNumber(n);
  }

  /** `key`, then a duration as JSON. */
  msField(key: Uint8Array, n: number): void {
    this.bytes(key);
    this.jsonMs(n);
  }

  /** Any text, as UTF-8. */
  text(s: string): void {
    // UTF-8 takes at most 3 bytes per UTF-16 unit.
    this.room(3 * s.length);
    this.off += this.buf.write(s, this.off, 'utf8');
  }

  /**
   * A string as JSON, byte for byte what JSON.stringify writes in UTF-8. Printable ASCII other
   * than `"` and `\` (nearly every value) is copied as it is; a value with anything else is
   * written by JSON.stringify, which escapes controls and lone surrogates.
   */
  private jsonString(s: string): void {
    // 6 bytes per UTF-16 unit at most (`\u001f`), and the quotes.
    this.room(6 * s.length + 2);
    const buf = this.buf;
    const start = this.off;
    let off = start;
    buf[off++] = 0x22;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) {
        this.off = start + buf.write(JSON_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`, start, 'utf8');
        return;
      }
      buf[off++] = c;
    }
    buf[off++] = 0x22;
    this.off = off;
  }

  /** A number as JSON: what `${n}` prints, `null` when not finite. Whole numbers up to 2^31 digit by digit. */
  private jsonNumber(n: number): void {
    this.room(NUMBER_BYTES);
    if (n >= 0 && n < 0x80000000 && Math.floor(n) === n) this.digits(n);
    else this.off += this.buf.write(Number.isFinite(n) ? `${n}` : 'null', this.off, 'latin1');
  }

  /**
   * A duration as JSON: what `${n}` prints, from whole microseconds (as `roundMs` makes them):
   * the milliseconds, then the fraction without trailing zeros. Anything else prints as usual.
   */
  private jsonMs(n: number): void {
    this.room(NUMBER_BYTES);
    const us = Math.round(n * 1000);
    if (!(n >= 0 && us < 0x7fffffff && us / 1000 === n)) return this.jsonNumber(n);
    const whole = Math.floor(us / 1000);
    this.digits(whole);
    let frac = us - whole * 1000;
    if (frac === 0) return;
    const buf = this.buf;
    buf[this.off++] = 0x2e;
    let d = 100;
    while (frac > 0) {
      const q = Math.floor(frac / d);
      buf[this.off++] = 0x30 + q;
      frac -= q * d;
      d /= 10;
    }
  }

  /** A whole number 0 ≤ n < 2^31, in decimal. */
  private digits(n: number): void {
    const buf = this.buf;
    let d = 1;
    while (d * 10 <= n) d *= 10;
    let off = this.off;
    while (d >= 1) {
      const q = Math.floor(n / d);
      buf[off++] = 0x30 + q;
      n -= q * d;
      d /= 10;
    }
    this.off = off;
  }
}

/** What JSON.stringify escapes in a string: `"`, `\`, control characters, and UTF-16 surrogates (a lone one comes out as \uXXXX). */
const JSON_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/** The most bytes a number takes as JSON (`-1.7976931348623157e+308`). */
const NUMBER_BYTES = 24;

/** ASCII text as bytes, for the constant parts of a line. */
export function ascii(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}
