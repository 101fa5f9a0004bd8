import { describe, expect, it } from 'vitest';
import { seeded } from '../balancing/test-support';
import { type ForwardedFor, requestHead, stripHopByHop, upstreamHeadOfLines, upstreamRequestHeaders } from './headers';
import { isRefusal, parseRequestHead } from './request-head';

// The rules as first written, every name lower-cased: the functions, which lower-case only the
// names that may matter, must give the same pairs for every header list.
const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);
function named(raw: string[]): Set<string> {
  const out = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) if (raw[i]!.toLowerCase() === 'connection') for (const t of raw[i + 1]!.split(',')) out.add(t.trim().toLowerCase());
  return out;
}
function referenceStrip(raw: string[], keep?: ReadonlySet<string>): string[] {
  const n = named(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if ((HOP.has(lower) || n.has(lower)) && !keep?.has(lower)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}
function referenceUpstream(raw: string[], fwd: ForwardedFor, keep?: ReadonlySet<string>): string[] {
  const kept = referenceStrip(raw, keep);
  const out: string[] = [];
  const first = (name: string) => {
    for (let i = 0; i < kept.length; i += 2) if (kept[i]!.toLowerCase() === name) return kept[i + 1];
    return undefined;
  };
  const all = (name: string) => kept.filter((_, i) => i % 2 === 1 && kept[i - 1]!.toLowerCase() === name);
  const own = new Set(['content-length', 'x-forwarded-for', 'x-real-ip', 'x-forwarded-proto', 'x-forwarded-host', 'x-request-id']);
  for (let i = 0; i < kept.length; i += 2) if (!own.has(kept[i]!.toLowerCase())) out.push(kept[i]!, kept[i + 1]!);
  const t = fwd.trusted === true;
  const xff = t ? all('x-forwarded-for').reduce<string | undefined>((acc, v) => (acc ? `${acc}, ${v}` : v), undefined) : undefined;
  out.push('X-Forwarded-For', xff ? `${xff}, ${fwd.clientIp}` : fwd.clientIp, 'X-Real-IP', (t ? first('x-real-ip') : undefined) ?? fwd.clientIp);
  out.push('X-Forwarded-Proto', (t ? first('x-forwarded-proto') : undefined) ?? fwd.proto, 'X-Request-Id', fwd.requestId);
  const host = (t ? first('x-forwarded-host') : undefined) ?? all('host').at(-1);
  if (host) out.push('X-Forwarded-Host', host);
  return out;
}

describe('hop-by-hop and forwarding headers, against the rules as first written', () => {
  // Seeded: the same cases on every run, so a failure can be replayed.
  const rand = seeded(1201);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const cased = (s: string) => [...s].map((c) => (rand() < 0.5 ? c.toUpperCase() : c)).join('');
  const NAMES = [
    'Host',
    'Connection',
    'Keep-Alive',
    'Proxy-Connection',
    'TE',
    'Trailer',
    'Transfer-Encoding',
    'Upgrade',
    'Proxy-Authorization',
    'Proxy-Authenticate',
    'Content-Length',
    'X-Forwarded-For',
    'X-Real-IP',
    'X-Forwarded-Proto',
    'X-Forwarded-Host',
    'X-Request-Id',
    'Cookie',
    'Accept',
    'X-Secret',
    'Close',
    'Server',
    'Date',
    'X-Long-Header-Name-Beyond-Sixty-Four-Characters-Of-Length-For-The-Table',
  ];
  const TOKENS = ['keep-alive', 'close', 'upgrade', 'x-secret', 'X-Secret', ' cookie ', 'te', 'server', 'date', '', 'x-long-header-name-beyond-sixty-four-characters-of-length-for-the-table'];
  const value = (name: string) =>
    name.toLowerCase() === 'connection' ? Array.from({ length: 1 + Math.floor(rand() * 3) }, () => pick(TOKENS)).join(',') : pick(['a', '10.0.0.1', 'https', 'example.com', '']);

  it('strip and forward the same headers over 5,000 generated lists', () => {
    const keepSets = [undefined, new Set(['connection', 'upgrade'])];
    for (let n = 0; n < 5000; n++) {
      const raw: string[] = [];
      const count = Math.floor(rand() * 8);
      for (let i = 0; i < count; i++) {
        const name = cased(pick(NAMES));
        raw.push(name, value(name));
      }
      const keep = pick(keepSets);
      const fwd: ForwardedFor = { clientIp: '192.0.2.7', proto: pick(['http', 'https'] as const), requestId: 'id-1', trusted: rand() < 0.5 };
      expect(stripHopByHop(raw, keep), JSON.stringify(raw)).toEqual(referenceStrip(raw, keep));
      expect(upstreamRequestHeaders(raw, fwd, keep), JSON.stringify(raw)).toEqual(referenceUpstream(raw, fwd, keep));
    }
  });

  // A request sent on as its own lines must be the head the pairs make, byte for byte; there are
  // no such lines when one is not written as the proxy writes them, or Connection names other fields.
  it('send a request on as its lines exactly as the pairs would, over 3,000 generated heads', () => {
    const written = /^[^:]*: ([^ \t](.*[^ \t])?)?$/;
    let sent = 0;
    for (let n = 0; n < 3000; n++) {
      const lines = [`${pick(['GET', 'HEAD', 'POST', 'DELETE'])} ${pick(['/', '/a?b=1', 'http://h.example/x'])} HTTP/1.1`, `${cased('Host')}: h.example`];
      for (let i = Math.floor(rand() * 7); i > 0; i--) {
        const name = cased(pick(NAMES));
        const ows = rand() < 0.8 ? [' ', ''] : [pick(['', ' ', '\t', '  ']), pick(['', ' '])];
        if (!/^(host|transfer-encoding)$/i.test(name)) lines.push(`${name}:${ows[0]}${value(name)}${ows[1]}`);
      }
      const text = `${lines.join('\r\n')}\r\n`;
      const head = parseRequestHead(Buffer.from(text, 'latin1'), 0, text.length, { maxHeadBytes: 65536, maxHeaders: 100 });
      if (isRefusal(head)) continue;
      const tokens = head.rawHeaders.flatMap((v, i) => (i % 2 === 1 && /^connection$/i.test(head.rawHeaders[i - 1]!) ? v.split(',').map((t) => t.trim().toLowerCase()) : []));
      if (tokens.some((t) => t !== '' && !HOP.has(t)) || !lines.slice(1).every((l) => written.test(l))) {
        expect(head.lines, text).toBeUndefined();
        continue;
      }
      const fwd: ForwardedFor = { clientIp: '192.0.2.7', proto: pick(['http', 'https'] as const), requestId: 'id-1' };
      const pairs = requestHead(head.method, head.url, [...upstreamRequestHeaders(head.rawHeaders, fwd), ...head.framing]);
      expect(upstreamHeadOfLines(head.method, head.url, head.lines!, fwd, 'h.example', head.framing), text).toBe(pairs);
      sent++;
    }
    expect(sent).toBeGreaterThan(500);
  });
});
