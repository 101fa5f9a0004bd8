import type { TAccessRecord, TProxyCause, TTermination } from '@fulcrum/protocol';

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

/** Now as ISO text; formatted once per millisecond (requests that end together share it). */
export function logTime(): string {
  const now = Date.now();
  if (now !== isoMs) {
    isoMs = now;
    isoText = new Date(now).toISOString();
  }
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

/** One JSON object per line, fields in a fixed order. */
export function jsonLine(r: TAccessRecord): string {
  return `${JSON.stringify(r)}\n`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => (n < 10 ? `0${n}` : String(n));

/** `10/Oct/2000:13:55:36 +0000`, as NGINX's $time_local in UTC. */
function clfTime(iso: string): string {
  const d = new Date(iso);
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/**
 * A quoted field of the combined format: `"` and `\` escaped, control characters and non-ASCII as
 * \xHH (as NGINX's escape=default), so a client cannot forge a line or a field.
 */
function quoted(v: string): string {
  if (v === '') return '"-"';
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
