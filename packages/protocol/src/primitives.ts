import { z } from 'zod';

/** A TCP/UDP port a listener or backend can use. */
export const ZPort = z
  .number({ error: 'port must be a number' })
  .int('port must be a whole number')
  .min(1, 'port must be between 1 and 65535')
  .max(65535, 'port must be between 1 and 65535');

const hostnamePattern =
  /^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$/;
const ipv4Pattern = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const ipv6Pattern = /^[0-9A-Fa-f:.]{2,45}$/;

/** A backend or listener host: a DNS name, an IPv4 address or an IPv6 address (no brackets). */
export const ZHost = z
  .string()
  .trim()
  .min(1, 'host is required')
  .max(253, 'host is too long')
  .refine(
    (h) => ipv4Pattern.test(h) || (h.includes(':') && ipv6Pattern.test(h)) || (!/^[\d.]+$/.test(h) && hostnamePattern.test(h)),
    'host must be a hostname or an IP address',
  );

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
  return z
    .number()
    .int('must be a whole number of milliseconds')
    .min(min, `must be at least ${min} ms`)
    .max(max, `must be at most ${max} ms`);
}

export function zIntRange(min: number, max: number) {
  return z.number().int('must be a whole number').min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);
}

/**
 * An IPv4 or IPv6 network in CIDR notation (a bare address is one host). IPv6 is checked by the
 * URL parser, which browsers and Node share, so the dashboard and the data plane agree.
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
    if (!addr.includes(':') || !ipv6Pattern.test(addr)) return false;
    try {
      new URL(`http://[${addr}]/`);
    } catch {
      return false;
    }
    return bits === undefined || Number(bits) <= 128;
  }, 'network must be an IP address or CIDR such as 10.0.0.0/8 or fd00::/8');
