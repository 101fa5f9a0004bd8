import { createHash, timingSafeEqual } from 'node:crypto';

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/**
 * Why the admin endpoint may not start on `host`, or undefined. Off loopback it shows every
 * backend's address and traffic to whoever reaches it, so it needs a token there.
 */
export function adminBindRefusal(host: string, token: string | undefined): string | undefined {
  if (isLoopback(host)) return undefined;
  if (!token) return `the admin endpoint on ${host} (not loopback) needs a token: set --admin-token or FULCRUM_ADMIN_TOKEN, or bind it to 127.0.0.1`;
  if (token.length < 16) return 'the admin token must be at least 16 characters';
  return undefined;
}

const digest = (v: string) => createHash('sha256').update(v).digest();

/** Whether an Authorization header carries the bearer token (compared in constant time). */
export function hasBearer(authorization: string | undefined, token: string): boolean {
  const m = /^bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return m !== null && timingSafeEqual(digest(m[1]!), digest(token));
}
