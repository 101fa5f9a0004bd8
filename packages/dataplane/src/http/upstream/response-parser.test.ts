import { describe, expect, it } from 'vitest';
import { ResponseParser } from './response-parser';

/** Feeds `parts` to a parser and records what it reports. */
function parse(parts: string[], opts: { noBody?: boolean; eof?: boolean } = {}) {
  const seen: { head?: [number, string, string[]]; body: string; lastFlags: boolean[]; end?: boolean; error?: string } = { body: '', lastFlags: [] };
  const parser = new ResponseParser({
    head: (status, text, raw) => (seen.head = [status, text, raw]),
    body: (chunk, last) => {
      seen.body += chunk.toString('latin1');
      seen.lastFlags.push(last);
    },
    end: (reusable) => (seen.end = reusable),
  });
  parser.start(opts.noBody ?? false);
  for (const p of parts) {
    const err = parser.feed(Buffer.from(p, 'latin1'));
    if (err) return { ...seen, error: err.message };
  }
  if (opts.eof) {
    const err = parser.finish();
    if (err) return { ...seen, error: err.message };
  }
  return seen;
}

describe('ResponseParser', () => {
  it('reads a Content-Length body and marks its last piece', () => {
    const r = parse(['HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A:  b \r\n\r\nhel', 'lo']);
    expect(r.head).toEqual([200, 'OK', ['Content-Length', '5', 'X-A', 'b']]);
    expect(r.body).toBe('hello');
    expect(r.lastFlags).toEqual([false, true]);
    expect(r.end).toBe(true);
  });

  it('reads a head split at any byte', () => {
    const text = 'HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno';
    for (let i = 1; i < text.length; i++) {
      const r = parse([text.slice(0, i), text.slice(i)]);
      expect(r.head?.[0]).toBe(404);
      expect(r.body).toBe('no');
      expect(r.end).toBe(true);
    }
  });

  it('decodes chunked bodies split anywhere, with extensions and trailers', () => {
    const text = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nX-Trailer: t\r\n\r\n';
    for (let i = 1; i < text.length; i++) {
      const r = parse([text.slice(0, i), text.slice(i)]);
      expect(r.error).toBeUndefined();
      expect(r.body).toBe('hello, world');
      expect(r.end).toBe(true);
    }
  });

  it('has no body for HEAD, 204 and 304, whatever the framing headers say', () => {
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n'], { noBody: true })).toMatchObject({ body: '', end: true });
    expect(parse(['HTTP/1.1 204 No Content\r\n\r\n'])).toMatchObject({ body: '', end: true });
    expect(parse(['HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n'])).toMatchObject({ body: '', end: true });
  });

  it('skips interim 1xx answers', () => {
    const r = parse(['HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok']);
    expect(r.head?.[0]).toBe(201);
    expect(r.body).toBe('ok');
  });

  it('reads a body without framing until the connection closes, and does not reuse it', () => {
    const r = parse(['HTTP/1.1 200 OK\r\n\r\nsome', ' bytes'], { eof: true });
    expect(r.body).toBe('some bytes');
    expect(r.end).toBe(false);
  });

  it('does not reuse a connection the backend closes or sends extra bytes on', () => {
    expect(parse(['HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n']).end).toBe(false);
    expect(parse(['HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n']).end).toBe(false);
    expect(parse(['HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n']).end).toBe(true);
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab']).end).toBe(false);
  });

  it('refuses what could hide a second response', () => {
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n']).error).toMatch(/Content-Length/);
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n']).error).toMatch(/Content-Length/);
    expect(parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n']).error).toMatch(/chunk size/);
    expect(parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n']).error).toMatch(/both/);
    expect(parse(['HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n']).error).toMatch(/header line/);
    expect(parse(['HTTP/2 200\r\n\r\n']).error).toMatch(/status line/);
    expect(parse(['HTTP/1.1 200 OK\r\n' + 'X-Big: ' + 'a'.repeat(70_000)]).error).toMatch(/too large/);
  });

  it('reports a response cut off by the connection closing', () => {
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'], { eof: true }).error).toMatch(/mid-response/);
    expect(parse([], { eof: true }).error).toMatch(/before a response/);
  });
});
