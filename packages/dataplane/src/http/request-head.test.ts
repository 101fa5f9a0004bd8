import { describe, expect, it } from 'vitest';
import { type HeadRefusal, type RequestHead, checkRequest, isRefusal, parseRequestHead } from './request-head';

const LIMITS = { maxHeadBytes: 16_384, maxHeaders: 100 };
const parse = (text: string) => {
  const head = Buffer.from(`${text}\r\n`, 'latin1');
  return parseRequestHead(head, 0, head.length, LIMITS);
};
const ok = (r: RequestHead | HeadRefusal): RequestHead => {
  if (isRefusal(r)) throw new Error(`refused ${r.status}: ${r.reason}`);
  return r;
};
const status = (r: RequestHead | HeadRefusal) => (isRefusal(r) ? r.status : 200);

describe('request heads', () => {
  it('frames a body from its own parse: Content-Length, or chunked with the codings before it', () => {
    expect(ok(parse('GET / HTTP/1.1\r\nHost: x')).framing).toEqual([]);
    expect(ok(parse('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 007')).framing).toEqual(['Content-Length', '7']);
    expect(ok(parse('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:  ChunKed ')).framing).toEqual(['Transfer-Encoding', 'chunked']);
    const gz = ok(parse('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\nTransfer-Encoding: chunked'));
    expect(gz.framing).toEqual(['Transfer-Encoding', 'gzip, chunked']);
    expect(gz.length).toBe(-1);
  });

  it('takes a Host and an origin-form target byte by byte as RFC 3986 and RFC 9112 allow, on both parsers', () => {
    // The grammars as patterns: each byte, in the middle of a Host and of a target, is taken or refused as they say.
    const hostOk = /^[A-Za-z0-9.\-_~%!$&'()*+,;=:[\]]*$/;
    const targetOk = /^\/[\x21-\x7e]*$/;
    for (let b = 0; b < 256; b++) {
      const c = String.fromCharCode(b);
      if (c === '\r' || c === '\n') continue;
      const host = `a${c}b`;
      const target = `/a${c}b`;
      expect(status(parse(`GET / HTTP/1.1\r\nHost: ${host}`)) === 200, `Host byte ${b}`).toBe(hostOk.test(host));
      expect(status(checkRequest('GET', '/', 'HTTP/1.1', ['Host', host], LIMITS)) === 200, `Host byte ${b} (node:http)`).toBe(hostOk.test(host));
      expect(status(parse(`GET ${target} HTTP/1.1\r\nHost: x`)) === 200, `target byte ${b}`).toBe(targetOk.test(target));
      expect(status(checkRequest('GET', target, 'HTTP/1.1', ['Host', 'x'], LIMITS)) === 200, `target byte ${b} (node:http)`).toBe(targetOk.test(target));
    }
    // Beyond latin1 (node:http's strings are latin1, but the check is on characters).
    expect(status(checkRequest('GET', '/a\u0100', 'HTTP/1.1', ['Host', 'x'], LIMITS))).toBe(400);
    expect(status(checkRequest('GET', '/', 'HTTP/1.1', ['Host', 'a\u0100'], LIMITS))).toBe(400);
    for (const [line, want] of [
      ['GET / HTTP/1.1', 200],
      ['GET /a HTTP/1.1 ', 400],
      ['GET  / HTTP/1.1', 400],
      [' GET / HTTP/1.1', 400],
      ['GET / HTTP/1.1 x', 400],
      ['GET /', 400],
      ['GET', 400],
      ['GET x HTTP/1.1', 400],
      ['OPTIONS * HTTP/1.1', 200],
      ['GET * HTTP/1.1', 400],
    ] as const) {
      expect(status(parse(`${line}\r\nHost: x`)), line).toBe(want);
    }
  });

  it('refuses every ambiguity', () => {
    for (const [head, want] of [
      ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked', 400],
      ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1', 400],
      ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1,1', 400],
      ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity', 400],
      ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked', 400],
      ['POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: br, chunked', 501],
      ['POST / HTTP/1.0\r\nTransfer-Encoding: chunked', 400],
      ['GET / HTTP/1.1\r\nHost: a\r\nHost: b', 400],
      ['GET / HTTP/1.1', 400],
      ['GET / HTTP/1.1\r\nHost: x\r\nConnection: close, Host', 400],
      ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: content-length', 400],
      ['GET / HTTP/1.1\r\nHost: x\r\nConnection: X-Forwarded-For', 400],
      ['GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b', 400],
      ['GET / HTTP/1.1\r\nHost: x\r\nX : a', 400],
      ['GET / HTTP/1.1\r\nHost: x\r\nX: a\x00', 400],
      ['GET / HTTP/3.0\r\nHost: x', 505],
      ['CONNECT x:1 HTTP/1.1\r\nHost: x', 405],
      ['GET http://y/ HTTP/1.1\r\nHost: x', 400],
    ] as const) {
      expect(status(parse(head)), JSON.stringify(head)).toBe(want);
    }
  });

  it('reads Connection: close, keep-alive (HTTP/1.0) and upgrade in any order', () => {
    expect(ok(parse('GET / HTTP/1.1\r\nHost: x\r\nConnection: close, keep-alive')).close).toBe(true);
    expect(ok(parse('GET / HTTP/1.0\r\nConnection: keep-alive')).close).toBe(false);
    expect(ok(parse('GET / HTTP/1.0')).close).toBe(true);
    expect(ok(parse('GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket')).upgrade).toEqual(['websocket']);
    expect(ok(parse('GET / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: WebSocket, foo/2\r\nUpgrade: bar')).upgrade).toEqual(['websocket', 'foo/2', 'bar']);
    expect(ok(parse('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket')).upgrade).toBeUndefined();
  });

  it('reduces absolute form to origin form when it names the Host', () => {
    expect(ok(parse('GET HTTP://X/a?b HTTP/1.1\r\nHost: x')).url).toBe('/a?b');
    expect(ok(parse('OPTIONS * HTTP/1.1\r\nHost: x')).url).toBe('*');
  });

  it('counts header fields against the limit (checkRequest does for node:http too)', () => {
    const raw = Array.from({ length: 12 }, (_, i) => [`X-${i}`, 'v']).flat();
    expect(status(checkRequest('GET', '/', 'HTTP/1.1', ['Host', 'x', ...raw], { maxHeadBytes: 16_384, maxHeaders: 12 }))).toBe(431);
    expect(status(checkRequest('GET', '/', 'HTTP/1.1', ['Host', 'x', ...raw], { maxHeadBytes: 16_384, maxHeaders: 13 }))).toBe(200);
  });
});
