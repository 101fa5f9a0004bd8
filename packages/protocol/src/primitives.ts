import { z } from 'zod';

/** A TCP/UDP port a listener or backend can use. */
export const ZPort = z.number({ error: 'port must be a number' }).int('port must be a whole number').min(1, 'port must be between 1 and 65535').max(65535, 'port must be between 1 and 65535');

const hostnamePattern = /^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$/;
const ipv4Pattern = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** RFC 4291 text form: eight groups, or fewer around one `::`, optionally ending in an IPv4 address. */
export function isIpv6(h: string): boolean {
  const halves = h.split('::');
  if (halves.length > 2) return false;
  const groups = (part: string) => (part === '' ? [] : part.split(':'));
  const all = halves.flatMap(groups);
  let count = all.length;
  const last = all[all.length - 1];
  if (last?.includes('.')) {
    if (!ipv4Pattern.test(last)) return false;
    all.pop();
    count++;
  }
  if (!all.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false;
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** A backend or listener host: a DNS name, an IPv4 address or an IPv6 address (no brackets). */
export const ZHost = z
  .string()
  .trim()
  .min(1, 'host is required')
  .max(253, 'host is too long')
  .refine((h) => ipv4Pattern.test(h) || (h.includes(':') && isIpv6(h)) || (!/^[\d.]+$/.test(h) && hostnamePattern.test(h)), 'host must be a hostname or an IP address');

/** Names operators type: pools, scaling rules. Lowercase slug so they work in URLs and metrics. */
export const ZSlug = z
  .string()
  .trim()
  .min(1, 'name is required')
  .max(63, 'name is at most 63 characters')
  .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'name may hold lowercase letters, digits and dashes');

export const ZId = z.string().min(1, 'id is required').max(64);

/** Milliseconds within an inclusive range, with a readable message. */
export function zMillis(min: number, max: number) {
  return z.number().int('must be a whole number of milliseconds').min(min, `must be at least ${min} ms`).max(max, `must be at most ${max} ms`);
}

export function zIntRange(min: number, max: number) {
  return z.number().int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
}

/**
 * An IPv4 or IPv6 network in CIDR notation (a bare address is one host); the dashboard and the
 * data plane check it with the same code.
 */
export const ZCidr = z
  .string()
  .trim()
  .min(2, 'network is required')
  .max(64, 'network is too long')
  .refine((c) => {
    const [addr = '', bits, extra] = c.split('/');
    if (extra !== undefined || (bits !== undefined && !/^(0|[1-9]\d{0,2})$/.test(bits))) return false;
    if (ipv4Pattern.test(addr)) return bits === undefined || Number(bits) <= 32;
    if (!addr.includes(':') || !isIpv6(addr)) return false;
    return bits === undefined || Number(bits) <= 128;
  }, 'network must be an IP address or CIDR such as 10.0.0.0/8 or fd00::/8');

/** An HTTP field or cookie name (RFC 9110 token): what the data plane can look up and write back. */
export function zToken(what: string) {
  return z
    .string()
    .trim()
    .min(1, `${what} is required`)
    .max(128, `${what} is at most 128 characters`)
    .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, `${what} may hold letters, digits and !#$%&'*+.^_\`|~- only (no spaces or separators)`);
}

/**
 * A request path and query as sent on the request line (RFC 3986 characters, valid %-escapes):
 * a space, a control byte or a raw non-ASCII character would be refused by the HTTP client
 * (node:http throws) or re-frame the request.
 */
export function zRequestPath(what: string) {
  return z
    .string()
    .trim()
    .max(2048, `${what} is at most 2048 characters`)
    .startsWith('/', `${what} must start with /`)
    .regex(/^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*$/, `${what} may hold only URL characters (escape spaces and others as %XX)`);
}
