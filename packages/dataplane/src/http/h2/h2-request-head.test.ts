import { describe, expect, it } from 'vitest';
import { readH2Head } from './h2-request-head';

const LIMITS = { maxHeadBytes: 1024, maxHeaders: 10 };
const BASE = [':method', 'GET', ':scheme', 'https', ':authority', 'app.example.com', ':path', '/a?b=1'];
const read = (extra: string[] = [], base = BASE, endStream = true) => readH2Head([...base, ...extra], endStream, LIMITS);
const refusal = (r: ReturnType<typeof readH2Head>) => ('status' in r ? `${r.status} ${r.reason}` : 'accepted');

describe('readH2Head', () => {
  it('reads a request as the HTTP/1.1 head a backend gets: Host from :authority first, cookie crumbs joined, te dropped', () => {
    const r = read(['cookie', 'a=1', 'accept', '*/*', 'cookie', 'b=2', 'te', 'trailers']);
    expect(refusal(r)).toBe('accepted');
    if ('status' in r) return;
    expect(r.head).toMatchObject({ method: 'GET', url: '/a?b=1', length: 0, framing: [] });
    expect(r.head.rawHeaders).toEqual(['host', 'app.example.com', 'accept', '*/*', 'cookie', 'a=1; b=2']);
    expect(r.hasBody).toBe(false);
  });

  it('frames a body by content-length when given, else chunked upstream', () => {
    const withLength = readH2Head([':method', 'POST', ...BASE.slice(2), 'content-length', '5'], false, LIMITS);
    expect(withLength).toMatchObject({ declaredLength: 5, hasBody: true, head: { framing: ['Content-Length', '5'] } });
    const streamed = read([], BASE, false);
    expect(streamed).toMatchObject({ declaredLength: -1, hasBody: true, head: { length: -1, framing: ['Transfer-Encoding', 'chunked'] } });
    expect(refusal(read(['content-length', '5']))).toBe('400 content-length without a body');
  });

  it.each([
    ['connection', 'keep-alive', /connection-specific field connection/],
    ['transfer-encoding', 'chunked', /connection-specific field transfer-encoding/],
    ['keep-alive', '5', /connection-specific/],
    ['proxy-connection', 'close', /connection-specific/],
    ['upgrade', 'websocket', /connection-specific/],
    ['te', 'gzip', /te other than trailers/],
    ['Accept', 'x', /upper-case/],
    ['host', 'other.example.com', /:authority disagrees with Host/],
    ['content-length', '1, 1', /invalid Content-Length/],
    ['x-bad', 'a\rb', /invalid character/],
  ])('refuses the field %s: %s', (name, value, reason) => {
    expect(refusal(read([name, value]))).toMatch(reason);
  });

  it.each([
    [[':method', 'GET', ':scheme', 'https', ':path', '/'], /missing :authority/],
    [[':scheme', 'https', ':authority', 'a', ':path', '/'], /missing :method/],
    [[':method', 'GET', ':scheme', 'https', ':authority', 'a'], /missing :scheme or :path/],
    [[':method', 'GET', ':scheme', 'https', ':authority', 'a', ':path', ''], /missing :scheme or :path/],
    [[':method', 'GET', ':scheme', 'https', ':authority', 'a', ':path', 'https://a/'], /origin form/],
    [[':method', 'GET', ':scheme', 'https', ':authority', 'a', ':path', '*'], /origin form/],
    [[':method', 'GET', ':scheme', 'http', ':authority', 'a', ':path', '/'], /:scheme must be https/],
    [[':method', 'CONNECT', ':authority', 'internal:22'], /^405/],
    [[':method', 'GET', ':method', 'POST', ':scheme', 'https', ':authority', 'a', ':path', '/'], /repeated :method/],
    [[':method', 'GET', ':scheme', 'https', ':authority', 'a', ':path', '/', ':protocol', 'websocket'], /unknown pseudo-header/],
    [[':method', 'GET', 'accept', '*/*', ':scheme', 'https', ':authority', 'a', ':path', '/'], /pseudo-header after a regular field/],
    [[':method', 'GET', ':scheme', 'https', ':authority', 'user@a', ':path', '/'], /invalid Host/],
  ])('refuses the pseudo-headers %j', (raw, reason) => {
    expect(refusal(readH2Head(raw, true, LIMITS))).toMatch(reason);
  });

  it('accepts OPTIONS * and holds heads to the listener limits (431)', () => {
    expect(refusal(readH2Head([':method', 'OPTIONS', ':scheme', 'https', ':authority', 'a', ':path', '*'], true, LIMITS))).toBe('accepted');
    expect(refusal(read(Array.from({ length: 11 }, (_, i) => [`x-${i}`, 'v']).flat()))).toBe('431 too many header fields');
    expect(refusal(read(['x-big', 'v'.repeat(1024)]))).toBe('431 request head too large');
  });
});
