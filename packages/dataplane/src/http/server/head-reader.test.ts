import { describe, expect, it } from 'vitest';
import { HeadReader } from './head-reader';

const feed = (reader: HeadReader, text: string, step: number) => {
  const out: unknown[] = [];
  for (let i = 0; i < text.length; i += step) {
    reader.push(Buffer.from(text.slice(i, i + step), 'latin1'));
    for (let r = reader.next(16_384, 100); r !== undefined; r = reader.next(16_384, 100)) {
      out.push(Buffer.isBuffer(r) ? r.toString('latin1') : r);
      if (!Buffer.isBuffer(r)) return out;
    }
  }
  return out;
};

describe('HeadReader', () => {
  it('finds each pipelined head however the bytes are split, leaving what follows', () => {
    const a = 'GET /a HTTP/1.1\r\nHost: x\r\n\r\n';
    const b = '\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\n';
    for (const step of [1, 2, 3, 7, 64]) {
      const reader = new HeadReader();
      expect(feed(reader, a + b, step)).toEqual([a, b]);
      expect(reader.partial).toBe(false);
    }
  });

  it('refuses a bare LF as soon as it arrives, and a head over its limits while it is still coming', () => {
    expect(feed(new HeadReader(), 'GET / HTTP/1.1\nHost', 1)).toEqual([{ status: 400, reason: 'line ending in a bare LF' }]);
    expect(feed(new HeadReader(), 'GET / HTTP/1.1\r\nHost: x\r\n\n', 4)).toEqual([{ status: 400, reason: 'line ending in a bare LF' }]);
    const reader = new HeadReader();
    reader.push(Buffer.alloc(20_000, 'a'));
    expect(reader.next(16_384, 100)).toEqual({ status: 431, reason: 'request head too large' });
    const many = `GET / HTTP/1.1\r\n${'X: y\r\n'.repeat(101)}`;
    expect(feed(new HeadReader(), many, 5)).toEqual([{ status: 431, reason: 'too many header fields' }]);
  });

  it('holds a 16 KiB head fed one byte at a time, joining it only once', () => {
    const text = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(16_000)}\r\n\r\n`;
    const concat = Buffer.concat;
    let joined = 0;
    Buffer.concat = ((list: readonly Uint8Array[], n?: number) => {
      joined++;
      return concat(list, n);
    }) as typeof Buffer.concat;
    let heads: unknown[];
    try {
      heads = feed(new HeadReader(), text, 1);
    } finally {
      Buffer.concat = concat;
    }
    expect(heads).toEqual([text]);
    expect(joined).toBe(1);
  });
});
