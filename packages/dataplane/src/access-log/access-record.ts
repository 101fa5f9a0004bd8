import type { TAccessRecord, TProxyCause, TTermination } from '@fulcrum/protocol';
import { LineBuffer, ascii } from './line-buffer';

/** The termination code a proxy-answered request gets, by the cause the pool stats count it under. */
export const TERMINATION_OF_CAUSE: Record<TProxyCause, TTermination> = {
  no_healthy_backend: 'no_healthy_backend',
  max_connections: 'max_connections',
  connect_failed: 'connect_failed',
  upstream_failed: 'upstream_reset',
  timeout: 'upstream_timeout',
  reconfiguring: 'reconfiguring',
  bad_request: 'refused',
  request_timeout: 'refused',
  header_too_large: 'refused',
  rate_limited: 'rate_limited',
  no_route: 'no_route',
};

let isoMs = 0;
let isoText = '';
/** The second being logged: its first millisecond, and its ISO text up to the dot (`2026-12-01T04:19:50.`). */
let secondMs = Number.NaN;
let secondText = '';

/**
 * Now as ISO text (what `new Date().toISOString()` gives). No Date per request: the text of the
 * current second is kept and the milliseconds appended; requests that end in the same
 * millisecond share one string.
 */
export function logTime(now = Date.now()): string {
  if (now === isoMs) return isoText;
  let ms = now - secondMs;
  if (!(ms >= 0 && ms < 1000)) {
    ms = ((now % 1000) + 1000) % 1000;
    secondMs = now - ms;
    // toISOString ends in `.sssZ` whatever the year's width.
    secondText = new Date(secondMs).toISOString().slice(0, -4);
  }
  isoMs = now;
  isoText = `${secondText}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
  return isoText;
}

/** A duration to the microsecond: enough for a log, and short numbers print faster than full doubles. */
export function roundMs(ms: number): number {
  return ms < 0 ? -1 : Math.round(ms * 1000) / 1000;
}

/** A line that must always be written, whatever the sample rate: an error or an abnormal end. */
export function isNoteworthy(r: TAccessRecord): boolean {
  return r.termination !== 'normal' || r.status >= 500;
}

const K = {
  time: ascii('{"time":'),
  pool: ascii(',"pool":'),
  poolId: ascii(',"poolId":'),
  clientIp: ascii(',"clientIp":'),
  method: ascii(',"method":'),
  protocol: ascii(',"protocol":'),
  host: ascii(',"host":'),
  path: ascii(',"path":'),
  status: ascii(',"status":'),
  bytesIn: ascii(',"bytesIn":'),
  bytesOut: ascii(',"bytesOut":'),
  durationMs: ascii(',"durationMs":'),
  upstream: ascii(',"upstream":'),
  connectMs: ascii(',"connectMs":'),
  firstByteMs: ascii(',"firstByteMs":'),
  attempts: ascii(',"attempts":'),
  requestId: ascii(',"requestId":'),
  termination: ascii(',"termination":'),
  userAgent: ascii(',"userAgent":'),
  referer: ascii(',"referer":'),
  listener: ascii(',"listener":'),
  end: ascii('}\n'),
};
/**
 * One JSON object per line, fields in ZAccessRecord's order, the optional ones only when set,
 * written into `out`. Byte for byte what
 * JSON.stringify writes (access-record.test.ts holds it to that on hostile values), without
 * building a string: a line is written per request.
 */
export function writeJsonLine(out: LineBuffer, r: TAccessRecord): void {
  out.stringField(K.time, r.time);
  out.stringField(K.pool, r.pool);
  out.stringField(K.poolId, r.poolId);
  out.stringField(K.clientIp, r.clientIp);
  out.stringField(K.method, r.method);
  if (r.protocol !== undefined) out.stringField(K.protocol, r.protocol);
  out.stringField(K.host, r.host);
  out.stringField(K.path, r.path);
  out.numberField(K.status, r.status);
  out.numberField(K.bytesIn, r.bytesIn);
  out.numberField(K.bytesOut, r.bytesOut);
  out.msField(K.durationMs, r.durationMs);
  out.stringField(K.upstream, r.upstream);
  out.msField(K.connectMs, r.connectMs);
  out.msField(K.firstByteMs, r.firstByteMs);
  out.numberField(K.attempts, r.attempts);
  out.stringField(K.requestId, r.requestId);
  out.stringField(K.termination, r.termination);
  out.stringField(K.userAgent, r.userAgent);
  out.stringField(K.referer, r.referer);
  if (r.listener !== undefined) out.stringField(K.listener, r.listener);
  out.bytes(K.end);
}

/** A record's JSON line as text (what `writeJsonLine` writes). */
export function jsonLine(r: TAccessRecord): string {
  const out = new LineBuffer(1024);
  writeJsonLine(out, r);
  return out.buf.toString('utf8', 0, out.off);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

let clfSecond = '';
let clfText = '';

/** `10/Oct/2000:13:55:36 +0000`, as NGINX's $time_local in UTC; formatted once per second. */
function clfTime(iso: string): string {
  // `2026-12-01T04:19:50`: the second, the only part the text depends on.
  const second = iso.slice(0, iso.length - 5);
  if (second === clfSecond) return clfText;
  const d = new Date(iso);
  clfSecond = second;
  clfText = `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
  return clfText;
}

/** What a quoted field of the combined format escapes; a value without any is written as it is. */
const CLF_ESCAPE = /["\\\u0000-\u001f\u007f-\uffff]/;

/**
 * A quoted field of the combined format: `"` and `\` escaped, control characters and non-ASCII as
 * \xHH (as NGINX's escape=default), so a client cannot forge a line or a field.
 */
function quoted(v: string): string {
  if (v === '') return '"-"';
  if (!CLF_ESCAPE.test(v)) return `"${v}"`;
  let out = '"';
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c === 0x22 || c === 0x5c) out += `\\${v[i]}`;
    else if (c < 0x20 || c >= 0x7f) out += c > 0xff ? `\\u${c.toString(16).padStart(4, '0')}` : `\\x${c.toString(16).padStart(2, '0')}`;
    else out += v[i];
  }
  return `${out}"`;
}

/**
 * NGINX's `combined` format, then the fields it lacks (HAProxy-style, key=value):
 * `ip - - [time] "GET /path HTTP/1.1" 200 512 "referer" "agent" rt=0.012 uct=0.001 uht=0.010 ua="host:port" attempts=1 term=normal pool=web rid="…" host="…" in=0`.
 */
export function combinedLine(r: TAccessRecord): string {
  const request = r.method ? `${r.method} ${r.path} ${r.protocol ?? 'HTTP/1.1'}` : '';
  const secs = (ms: number) => (ms < 0 ? '-' : (ms / 1000).toFixed(3));
  return (
    `${r.clientIp || '-'} - - [${clfTime(r.time)}] ${quoted(request)} ${r.status} ${r.bytesOut} ${quoted(r.referer)} ${quoted(r.userAgent)}` +
    ` rt=${secs(r.durationMs)} uct=${secs(r.connectMs)} uht=${secs(r.firstByteMs)} ua=${quoted(r.upstream)} attempts=${r.attempts} term=${r.termination} pool=${r.pool} rid=${quoted(r.requestId)} host=${quoted(r.host)} in=${r.bytesIn}${r.listener === undefined ? '' : ` listener=${quoted(r.listener)}`}\n`
  );
}
