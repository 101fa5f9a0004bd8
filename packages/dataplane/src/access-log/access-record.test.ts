import type { TAccessRecord } from '@fulcrum/protocol';
import { ZAccessRecord } from '@fulcrum/protocol';
import { describe, expect, it } from 'vitest';
import { combinedLine, isNoteworthy, jsonLine } from './access-record';

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
