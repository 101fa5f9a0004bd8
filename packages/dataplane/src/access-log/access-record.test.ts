import type { TAccessRecord } from '@fulcrum/protocol';
import { ZAccessRecord } from '@fulcrum/protocol';
import { describe, expect, it } from 'vitest';
import { seeded } from '../balancing/test-support';
import { combinedLine, isNoteworthy, jsonLine, logTime } from './access-record';

const record = (over: Partial<TAccessRecord> = {}): TAccessRecord => ({
  time: '2026-11-30T20:01:02.345Z',
  pool: 'web',
  poolId: 'p1',
  clientIp: '10.0.0.1',
  method: 'GET',
  host: 'example.com',
  path: '/x',
  status: 200,
  bytesIn: 5,
  bytesOut: 512,
  durationMs: 12.5,
  upstream: '127.0.0.1:8080',
  connectMs: 0.4,
  firstByteMs: 10,
  attempts: 1,
  requestId: 'r1',
  termination: 'normal',
  userAgent: 'curl/8',
  referer: '',
  ...over,
});

describe('access record lines', () => {
  it('JSON: one line that reads back as the record', () => {
    const line = jsonLine(record());
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toContain('\n');
    expect(ZAccessRecord.parse(JSON.parse(line))).toEqual(record());
  });

  it('combined: NGINX fields first, then the proxy fields', () => {
    expect(combinedLine(record())).toBe(
      '10.0.0.1 - - [30/Nov/2026:20:01:02 +0000] "GET /x HTTP/1.1" 200 512 "-" "curl/8" rt=0.013 uct=0.000 uht=0.010 ua="127.0.0.1:8080" attempts=1 term=normal pool=web rid="r1" host="example.com" in=5\n',
    );
    expect(combinedLine(record({ connectMs: -1, firstByteMs: -1, upstream: '' }))).toContain('uct=- uht=- ua="-"');
  });

  it('combined: a client cannot forge a line or a field (quotes, backslashes, control and non-ASCII characters escaped)', () => {
    const line = combinedLine(record({ userAgent: 'a"b\\c\nd\x1be\u00e9\u2028', referer: '"\r\n1.2.3.4 - - [' }));
    expect(line.split('\n')).toHaveLength(2);
    expect(line).toContain('"a\\"b\\\\c\\x0ad\\x1be\\xe9\\u2028"');
    expect(line).toContain('"\\"\\x0d\\x0a1.2.3.4 - - ["');
  });

  it('an error or an abnormal end is always worth a line', () => {
    expect(isNoteworthy(record())).toBe(false);
    expect(isNoteworthy(record({ status: 502, termination: 'connect_failed' }))).toBe(true);
    expect(isNoteworthy(record({ status: 500 }))).toBe(true);
    expect(isNoteworthy(record({ status: 200, termination: 'client_aborted' }))).toBe(true);
  });
});

/** Values a client controls (path, host, user agent, referer, request id) at their most hostile. */
const HOSTILE = [
  '',
  '"',
  '\\',
  '\\"',
  '"},{"status":200',
  'a\nb',
  '\r\n1.2.3.4 - - [',
  '\u0000\u0001\u001f\u007f',
  '\b\f\t\v',
  '\u00e9\u00ff\u0100',
  '\u2028\u2029',
  '\ud83d\ude00',
  '\ud800',
  '\udfff',
  'x\udc00\ud800y',
  '\ud83d',
  '\ufeff\uffff',
  '</script>',
  'a'.repeat(3000),
];

/** A random string over the characters that matter to an escaper: ASCII, quotes, controls, non-ASCII, surrogates (paired or lone). */
function hostileString(random: () => number): string {
  if (random() < 0.3) return HOSTILE[Math.floor(random() * HOSTILE.length)]!;
  const pools = ['"', '\\', '/', 'a', 'Z', ' ', '\u007f', '\u0080', '\u00e9', '\u2028', '\ud800', '\udbff', '\udc00', '\udfff', '\ufffd', '\u4e2d'];
  let out = '';
  const n = Math.floor(random() * 24);
  for (let i = 0; i < n; i++) {
    const r = random();
    out += r < 0.2 ? String.fromCharCode(Math.floor(random() * 0x20)) : r < 0.4 ? String.fromCharCode(0x20 + Math.floor(random() * 0x5f)) : pools[Math.floor(random() * pools.length)]!;
  }
  return out;
}

/** A record with every field random, built in the producers' order (ZAccessRecord's), the optional fields sometimes absent. */
function hostileRecord(random: () => number): TAccessRecord {
  const s = () => hostileString(random);
  const n = () => (random() < 0.1 ? -1 : random() < 0.5 ? Math.floor(random() * 1e6) : Math.round(random() * 1e9) / 1000);
  return {
    time: random() < 0.5 ? logTime() : s(),
    pool: s(),
    poolId: s(),
    clientIp: s(),
    method: s(),
    ...(random() < 0.3 ? {} : { protocol: s() as TAccessRecord['protocol'] }),
    host: s(),
    path: s(),
    status: Math.floor(random() * 1000),
    bytesIn: n(),
    bytesOut: n(),
    durationMs: n(),
    upstream: s(),
    connectMs: n(),
    firstByteMs: n(),
    attempts: Math.floor(random() * 5),
    requestId: s(),
    termination: 'normal',
    userAgent: s(),
    referer: s(),
    ...(random() < 0.3 ? { listener: s() } : {}),
  };
}

/** The fields of a combined line read back: a quoted field's escapes undone (\\", \\\\, \\xHH, \\uHHHH; "-" is empty). */
function readCombined(line: string): Record<string, string> {
  const q = '"((?:[^"\\\\]|\\\\.)*)"';
  const m = new RegExp(
    `^(\\S+) - - \\[([^\\]]+)\\] ${q} (\\d+) (-?[\\d.e+]+) ${q} ${q} rt=(\\S+) uct=(\\S+) uht=(\\S+) ua=${q} attempts=(\\d+) term=(\\S+) pool=(.*) rid=${q} host=${q} in=(\\S+?)(?: listener=${q})?\\n$`,
    's',
  ).exec(line);
  if (!m) throw new Error(`not a combined line: ${JSON.stringify(line)}`);
  const un = (v: string | undefined) =>
    v === undefined || v === '-' ? '' : v.replace(/\\(x[0-9a-f]{2}|u[0-9a-f]{4}|.)/g, (_, e: string) => (e.length === 1 ? e : String.fromCharCode(Number.parseInt(e.slice(1), 16))));
  return { clientIp: m[1]!, request: un(m[3]), referer: un(m[6]), userAgent: un(m[7]), upstream: un(m[11]), pool: m[14]!, requestId: un(m[15]), host: un(m[16]), listener: un(m[18]) };
}

describe('access lines under hostile values', () => {
  it('JSON: the corpus and 20,000 random records are written byte for byte as JSON.stringify writes them, one line each, and parse back to the record', () => {
    const random = seeded(1415);
    const records = [
      ...HOSTILE.map((v) => record({ path: v, host: v, userAgent: v, referer: v, requestId: v, method: v, clientIp: v, listener: v })),
      ...Array.from({ length: 20_000 }, () => hostileRecord(random)),
    ];
    records.push(record({ durationMs: Number.NaN, connectMs: Number.POSITIVE_INFINITY, firstByteMs: -0, bytesIn: 1e21, bytesOut: 1e-7 }));
    // Durations are printed from whole microseconds: every edge of that against the double's own text.
    const durations = [0, 0.001, 0.01, 0.1, 0.5, 1, 1.5, 0.1 + 0.2, 123.4565, 1e-7, 999.999, 1000, 2147483.647, 2147483.648, 2147484, 86_400_000, 1e21, -1, -0.001];
    for (let i = 0; i < 2000; i++) durations.push(Math.round(random() * 10 ** Math.floor(random() * 10)) / 1000);
    for (const d of durations) records.push(record({ durationMs: d, connectMs: d, firstByteMs: d }));
    for (const r of records) {
      const line = jsonLine(r);
      // The oracle: the serializer this one replaced.
      expect(line).toBe(`${JSON.stringify(r)}\n`);
      expect(line.indexOf('\n')).toBe(line.length - 1);
      const back = JSON.parse(line);
      expect(back).toEqual(JSON.parse(JSON.stringify(r)));
    }
    // What JSON.parse gives back are the very strings logged, lone surrogates included.
    expect(JSON.parse(jsonLine(record({ path: 'x\udc00\ud800y' }))).path).toBe('x\udc00\ud800y');
  });

  it('combined: the corpus and 5,000 random records stay one line each, and every quoted field reads back to the value logged', () => {
    const random = seeded(2718);
    const records = [
      ...HOSTILE.map((v) => record({ path: v, host: v, userAgent: v, referer: v, requestId: v, upstream: v, listener: v })),
      ...Array.from({ length: 5_000 }, () => hostileRecord(random)),
    ];
    for (const r of records) {
      // Fields the proxy itself fills (not a client) keep their shape: pool names are validated, the address is an IP.
      const safe = { ...r, pool: 'web', clientIp: '10.0.0.1', method: 'GET', protocol: 'HTTP/1.1' as const, time: '2026-11-30T20:01:02.345Z' };
      const line = combinedLine(safe);
      expect(line.indexOf('\n')).toBe(line.length - 1);
      expect(line).not.toMatch(/[\r\u0000-\u0009\u000b-\u001f\u007f-\uffff]/);
      // As in NGINX's format, an empty field and a lone dash are both written "-".
      const dash = (v: string | undefined) => (v === '-' || v === undefined ? '' : v);
      expect(readCombined(line)).toEqual({
        clientIp: '10.0.0.1',
        request: `GET ${safe.path} HTTP/1.1`,
        referer: dash(safe.referer),
        userAgent: dash(safe.userAgent),
        upstream: dash(safe.upstream),
        pool: 'web',
        requestId: dash(safe.requestId),
        host: dash(safe.host),
        listener: dash(safe.listener),
      });
    }
  });

  it('the log time is what Date#toISOString says, whatever the clock does (new seconds, the same millisecond, going back, other years)', () => {
    const random = seeded(31);
    const base = Date.parse('2026-12-01T04:19:59.990Z');
    const times = [base, base, base + 9, base + 10, base + 11, base + 999, base + 1000, base + 60_000, base - 1, base - 1000, 0, -1, -86_400_001, 253_402_300_799_999, 253_402_300_800_000];
    for (let i = 0; i < 5_000; i++) times.push(base + Math.floor((random() - 0.5) * 5_000_000));
    for (const t of times) expect(logTime(t)).toBe(new Date(t).toISOString());
  });

  it('combined: the time field follows each record second by second (the formatted second is not stuck)', () => {
    expect(combinedLine(record({ time: '2026-11-30T20:01:02.345Z' }))).toContain('[30/Nov/2026:20:01:02 +0000]');
    expect(combinedLine(record({ time: '2026-11-30T20:01:02.999Z' }))).toContain('[30/Nov/2026:20:01:02 +0000]');
    expect(combinedLine(record({ time: '2026-11-30T20:01:03.000Z' }))).toContain('[30/Nov/2026:20:01:03 +0000]');
    expect(combinedLine(record({ time: '2027-01-01T00:00:00.000Z' }))).toContain('[01/Jan/2027:00:00:00 +0000]');
    expect(combinedLine(record({ time: '2026-11-30T20:01:02.001Z' }))).toContain('[30/Nov/2026:20:01:02 +0000]');
  });
});
