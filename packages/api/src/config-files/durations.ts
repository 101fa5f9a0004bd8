/**
 * Time values as NGINX and HAProxy spell them, to and from milliseconds. Both return null for a
 * value the tool itself would refuse, so the caller can word the error the tool's way.
 */

const NGINX_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, M: 2_592_000_000, y: 31_536_000_000 };

/** NGINX's ngx_parse_time: `30`, `30s`, `1m30s`, `1h 30m`; a bare number is seconds. */
export function parseNginxTime(value: string): number | null {
  const parts = value.trim().split(/\s+/).join('');
  if (/^\d{1,9}$/.test(parts)) return Number(parts) * 1000;
  const re = /(\d{1,9})(ms|s|m|h|d|w|M|y)/gy;
  let total = 0;
  let end = 0;
  for (let m = re.exec(parts); m; m = re.exec(parts)) {
    total += Number(m[1]) * NGINX_UNITS[m[2]!]!;
    end = re.lastIndex;
  }
  return end === parts.length && end > 0 && Number.isSafeInteger(total) ? total : null;
}

const HAPROXY_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** HAProxy's time format: a number with an optional unit (us, ms, s, m, h, d); a bare number is milliseconds. */
export function parseHaproxyTime(value: string): number | null {
  const m = /^(\d{1,10})(us|ms|s|m|h|d)?$/.exec(value);
  if (!m) return null;
  const ms = Math.round(Number(m[1]) * HAPROXY_UNITS[m[2] ?? 'ms']!);
  return Number.isSafeInteger(ms) ? ms : null;
}

/** The shortest exact spelling both tools read: `30s`, `1500ms`, `2m`. */
export function formatDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
