import { describe, expect, it } from 'vitest';
import { seeded } from '../../balancing/test-support';
import { stripHopByHop } from '../headers';
import { ResponseParser } from './response-parser';

/** Feeds `parts` to a parser and records what it reports. */
function parse(parts: string[], opts: { noBody?: boolean; eof?: boolean; upgrade?: boolean } = {}) {
  const seen: { head?: [number, string, string[]]; lines?: string; sized?: boolean; body: string; lastFlags: boolean[]; end?: boolean; error?: string } = { body: '', lastFlags: [] };
  const parser = new ResponseParser({
    head: (status, text, raw, lines, sized) => {
      seen.head = [status, text, raw.pairs()];
      seen.lines = lines;
      seen.sized = sized;
    },
    body: (chunk, last) => {
      seen.body += chunk.toString('latin1');
      seen.lastFlags.push(last);
    },
    end: (reusable) => (seen.end = reusable),
  });
  parser.start(opts.noBody ?? false, opts.upgrade ? ['websocket'] : undefined);
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
    expect(r.sized).toBe(true);
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
      expect(r.sized).toBe(false);
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

  it('finds a chunk line whose CRLF is split across reads', () => {
    const text = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n';
    for (const cut of [text.indexOf('5\r\n') + 2, text.indexOf('hello') + 6, text.lastIndexOf('0\r\n') + 2]) {
      const r = parse([text.slice(0, cut), text.slice(cut)]);
      expect(r.error).toBeUndefined();
      expect(r.body).toBe('hello');
      expect(r.end).toBe(true);
    }
  });

  it('reads a large head fed one byte at a time, and refuses one byte over the limit the same way', () => {
    const head = `HTTP/1.1 200 OK\r\nX-Pad: ${'p'.repeat(60_000)}\r\nContent-Length: 2\r\n\r\nok`;
    const r = parse(head.split(''));
    expect(r.error).toBeUndefined();
    expect(r.body).toBe('ok');
    const over = `HTTP/1.1 200 OK\r\nX-Pad: ${'p'.repeat(64 * 1024)}\r\n\r\n`;
    expect(parse(over.split('')).error).toMatch(/too large/);
    expect(parse([over]).error).toMatch(/too large/);
  });

  it('refuses bare CR or LF, control bytes and names that are not tokens', () => {
    expect(parse(['HTTP/1.1 200 OK\nContent-Length: 0\n\n']).error).toMatch(/bare LF/);
    expect(parse(['HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n']).error).toMatch(/bare CR/);
    expect(parse(['HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n']).error).toMatch(/control character/);
    expect(parse(['HTTP/1.1 200 OK\r\nX: a\tb\r\nContent-Length: 0\r\n\r\n']).error).toBeUndefined();
    expect(parse(['HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n']).error).toMatch(/header line/);
    expect(parse(['HTTP/1.1 099 x\r\n\r\n']).error).toMatch(/status line/);
  });

  it('accepts one plain chunked Transfer-Encoding and nothing else', () => {
    expect(parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: Chunked\r\n\r\n0\r\n\r\n']).end).toBe(true);
    for (const te of ['gzip, chunked', 'chunked, identity', 'xchunked', 'identity']) {
      expect(parse([`HTTP/1.1 200 OK\r\nTransfer-Encoding: ${te}\r\n\r\n0\r\n\r\n`]).error).toMatch(/Transfer-Encoding/);
    }
    expect(parse(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n']).error).toMatch(/Transfer-Encoding/);
  });

  it('checks chunk sizes and extensions strictly', () => {
    const chunked = (size: string) => parse([`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${size}\r\nok\r\n0\r\n\r\n`]);
    expect(chunked('2').body).toBe('ok');
    expect(chunked('2 ;name=value;q="a;\\"b";flag').body).toBe('ok');
    // Extensions as strict llhttp reads them: no whitespace after `;` or around `=`, no control byte.
    for (const bad of ['2 ', '-2', '0x2', '+2', '', '1000000000000', '2 ; name=value', '2;name = value', '2;', '2;a=\x01', '2;a="b']) expect(chunked(bad).error).toMatch(/chunk size/);
  });

  it('bounds interim answers and headers', () => {
    expect(parse([`${'HTTP/1.1 103 Early Hints\r\n\r\n'.repeat(16)}HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n`]).end).toBe(true);
    expect(parse([`${'HTTP/1.1 100 Continue\r\n\r\n'.repeat(17)}HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n`]).error).toMatch(/interim/);
    expect(parse([`HTTP/1.1 200 OK\r\n${'X: 1\r\n'.repeat(257)}\r\n`]).error).toMatch(/too many/);
  });

  it('opens a tunnel on 101 only when the request asked to upgrade', () => {
    const text = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nframe';
    expect(parse([text]).error).toMatch(/unexpected 101/);
    const r = parse([text, 'more'], { upgrade: true, eof: true });
    expect(r.head?.[0]).toBe(101);
    expect(r.body).toBe('framemore');
    expect(r.end).toBe(false);
  });
});

/**
 * The head's rules as plain regular expressions and splits (how the parser read heads before it
 * scanned them by index): the parser must agree with them on every head, valid or not.
 */
function referenceHead(text: string): { status: number; reason: string; raw: string[] } | 'refused' {
  const lines = text.split('\r\n');
  const m = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: (.*))?$/.exec(lines[0]!);
  if (!m || lines.length - 1 > 256) return 'refused';
  const raw: string[] = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    if (!/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(name)) return 'refused';
    // Optional whitespace is SP and HTAB only (RFC 9110 §5.6.3): an NBSP at an end is obs-text, kept.
    raw.push(name, line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, ''));
  }
  return { status: Number(m[2]), reason: m[3] ?? '', raw };
}

describe('ResponseParser heads, against the plain rules', () => {
  // Seeded: the same cases on every run, so a failure can be replayed.
  const rand = seeded(20261201);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const STATUS_LINES = [
    'HTTP/1.1 200 OK',
    'HTTP/1.0 404 Not Found',
    'HTTP/1.1 204',
    'HTTP/1.1 200 ',
    'HTTP/1.1 599 x y z',
    'HTTP/1.1 099 x',
    'HTTP/1.2 200 OK',
    'HTTP/1.1 20 OK',
    'HTTP/1.1 2000 OK',
    'HTTP/1.1  200 OK',
    'http/1.1 200 OK',
    'HTTP/1.1 2a0 OK',
    'HTTP/1.1 200OK',
    'HTTP/1.1 200\tOK',
    'HTTP/1.1 100 Continue',
    'HTTP/1.',
    'HTTP/1.1 200 \xa0caf\xe9',
    '',
  ];
  const NAMES = ['Content-Type', 'X-A', 'Server', 'Set-Cookie', 'Date', 'Via', 'X', 'Bad Name', ' Lead', 'Trail ', '', 'Caf\xe9', 'A:B', 'x-y_z~1'];
  const VALUES = ['', 'text/plain', '  padded  ', '\tx\t', 'a:b:c', '\xa0nbsp\xa0', 'q="1, 2"', ' '];

  it('agree on status, reason and header pairs, or both refuse, over 5,000 generated heads', () => {
    for (let n = 0; n < 5000; n++) {
      const lines = [pick(STATUS_LINES)];
      const count = Math.floor(rand() * 6);
      // A line without a colon (never an empty one: that ends the head).
      for (let i = 0; i < count; i++) lines.push(rand() < 0.05 ? pick(VALUES.filter(Boolean)) : `${pick(NAMES)}:${pick(VALUES)}`);
      const text = lines.join('\r\n');
      const want = referenceHead(text);
      // Interim answers are skipped and a 204's framing ignored: a 2xx-5xx status without framing headers shows the head.
      const r = parse([`${text}\r\n\r\n`], { noBody: true });
      if (want === 'refused') expect(r.error ?? 'accepted', text).toMatch(/status line|header line|too many/);
      else if (want.status >= 200) expect(r.head, text).toEqual([want.status, want.reason, want.raw]);
      else expect(r.error ?? 'skipped', text).not.toMatch(/status line|header line/);
    }
  });

  // A head read whole is checked as it is parsed; one split across reads, by the scan as it
  // arrives: both ways must take and refuse the same heads, whatever bytes are slipped in.
  it('reads a head the same whole, split in two, or a byte at a time, over 3,000 mutated heads', () => {
    const BYTES = ['\0', '\x01', '\x0b', '\x1f', '\x7f', '\r', '\n', '\r\n', '\n\r', ' ', '\t', ':', '\x80', '\xff', 'a'];
    // The head as reported, or why there is none (what follows a head is read the same either way).
    const verdict = (r: ReturnType<typeof parse>) => JSON.stringify(r.head ?? (r.error === undefined ? 'incomplete' : 'refused'));
    let refused = 0;
    for (let n = 0; n < 3000; n++) {
      const lines = [pick(STATUS_LINES.slice(0, 5))];
      for (let i = Math.floor(rand() * 5); i > 0; i--) lines.push(`${pick(NAMES.slice(0, 7))}:${pick(VALUES)}`);
      let text = `${lines.join('\r\n')}\r\nContent-Length: 2\r\n\r\nok`;
      for (let k = Math.floor(rand() * 3); k > 0; k--) {
        const at = Math.floor(rand() * (text.length - 2));
        text = text.slice(0, at) + pick(BYTES) + text.slice(at);
      }
      const whole = verdict(parse([text]));
      const cut = 1 + Math.floor(rand() * (text.length - 1));
      expect(verdict(parse([text.slice(0, cut), text.slice(cut)])), JSON.stringify(text)).toBe(whole);
      expect(verdict(parse(text.split(''))), JSON.stringify(text)).toBe(whole);
      if (whole === '"refused"') refused++;
    }
    // The mutations reach both verdicts often: the comparison is not of heads all taken or all refused.
    expect(refused).toBeGreaterThan(500);
    expect(refused).toBeLessThan(2500);
  });

  // The lines a proxy passes on as they came must be exactly the pairs the hop-by-hop filter keeps.
  it('passes on the lines the hop-by-hop filter keeps, or none when Connection names other fields, over 3,000 heads', () => {
    const HOP = ['Connection', 'Keep-Alive', 'Proxy-Connection', 'TE', 'Trailer', 'Upgrade', 'Proxy-Authenticate', 'Proxy-Authorization', 'Transfer-Encoding'];
    const OTHER = ['Content-Type', 'Server', 'X-Secret', 'Set-Cookie', 'Tea', 'Trailers', 'Connections', 'Keep-Alive-X', 'Date'];
    const TOKENS = ['keep-alive', 'close', 'Keep-Alive', 'CLOSE', 'x-secret', 'upgrade', 'te', 'server'];
    const cased = (t: string) => [...t].map((c) => (rand() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');
    let passed = 0;
    for (let n = 0; n < 3000; n++) {
      const lines = ['HTTP/1.1 200 OK'];
      for (let i = Math.floor(rand() * 7); i > 0; i--) {
        const name = cased(pick(rand() < 0.5 ? HOP : OTHER));
        const value = /^connection$/i.test(name) ? Array.from({ length: 1 + Math.floor(rand() * 2) }, () => pick(TOKENS)).join(pick([',', ', '])) : pick(['a', 'b c', '1']);
        const ows = rand() < 0.8 ? [' ', ''] : [pick(['', ' ', '\t', '  ']), pick(['', ' '])];
        if (!/^transfer-encoding$/i.test(name)) lines.push(`${name}:${ows[0]}${value}${ows[1]}`);
      }
      const text = `${lines.join('\r\n')}\r\nContent-Length: 0\r\n\r\n`;
      const r = parse([text]);
      expect(r.error, text).toBeUndefined();
      const raw = r.head![2];
      const named = raw.flatMap((v, i) => (i % 2 === 1 && /^connection$/i.test(raw[i - 1]!) ? v.split(',').map((t) => t.trim().toLowerCase()) : []));
      const written = lines.slice(1).every((l) => /^[^:]*: ([^ \t](.*[^ \t])?)?$/.test(l));
      if (!written || named.some((t) => t !== '' && !HOP.some((h) => h.toLowerCase() === t))) expect(r.lines, text).toBeUndefined();
      else {
        const kept = stripHopByHop(raw);
        let want = '';
        for (let i = 0; i < kept.length; i += 2) want += `${kept[i]}: ${kept[i + 1]}\r\n`;
        expect(r.lines, text).toBe(want);
        passed++;
      }
    }
    expect(passed).toBeGreaterThan(500);
  });

  it('counts headers the same way however long the head', () => {
    for (const n of [255, 256, 257]) {
      const text = `HTTP/1.1 200 OK\r\n${Array.from({ length: n }, () => 'a:').join('\r\n')}`;
      const r = parse([`${text}\r\n\r\n`], { noBody: true });
      if (n > 256) expect(r.error).toMatch(/too many/);
      else expect(r.head?.[2]).toHaveLength(2 * n);
    }
  });
});
