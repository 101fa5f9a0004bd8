import { z } from 'zod';

/** A pool's access-log settings; where lines go is the data plane's own flag (`--access-log`). */
export const ZAccessLogSettings = z.object({
  enabled: z.boolean().default(true),
  /** Share of ordinary requests written (0..1); every line with an error or an abnormal end is kept. */
  sampleRate: z.number({ error: 'sample rate must be a number' }).min(0, 'sample rate must be between 0 and 1').max(1, 'sample rate must be between 0 and 1').default(1),
  /** `json`: one object per line; `combined`: the NGINX/Apache combined format. */
  format: z.enum(['json', 'combined'], { error: 'format must be json or combined' }).default('json'),
});
export type TAccessLogSettings = z.infer<typeof ZAccessLogSettings>;
export const ACCESS_LOG_DEFAULTS: TAccessLogSettings = ZAccessLogSettings.parse({});

/**
 * How an exchange ended, as HAProxy's termination state says it in two letters. One code per
 * line; `normal` is the only one that is not a problem.
 */
export const TERMINATIONS = [
  /** The answer reached the client whole. */
  'normal',
  /** The client left (closed or reset) before its answer was complete. */
  'client_aborted',
  /** No backend could be connected to (refused, unreachable, connect timeout): 502. */
  'connect_failed',
  /** The backend did not answer in time: 504, or cut mid-answer. */
  'upstream_timeout',
  /** The backend closed or reset the connection, or sent a broken answer: 502, or cut mid-answer. */
  'upstream_reset',
  /** No healthy backend: 503. */
  'no_healthy_backend',
  /** Every backend at its connection limit: 503. */
  'max_connections',
  /** The pool was being reconfigured on this data plane: 503. */
  'reconfiguring',
  /** The route's rate limit answered: 429. */
  'rate_limited',
  /** No route of the listener matched: 404. */
  'no_route',
  /** The proxy refused the request itself: malformed (400), head too slow (408), head too large (431). */
  'refused',
] as const;
export const ZTermination = z.enum(TERMINATIONS);
export type TTermination = z.infer<typeof ZTermination>;

const ms = z.number().min(0).max(86_400_000);
const bytes = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** The HTTP version a client spoke, as the access log names it. */
export const ZHttpProtocol = z.enum(['HTTP/1.0', 'HTTP/1.1', 'HTTP/2.0']);
export type THttpProtocol = z.infer<typeof ZHttpProtocol>;

/** One access-log record: one HTTP request, or one TCP connection (method, host, path empty; status 0). */
export const ZAccessRecord = z.object({
  /** ISO time the exchange ended. */
  time: z.string().max(40),
  pool: z.string().max(128),
  poolId: z.string().max(128),
  /** The client's address; the forwarded one when the peer is a trusted proxy. */
  clientIp: z.string().max(64),
  method: z.string().max(32),
  /** The client's HTTP version (absent for TCP, and in records from data planes before HTTP/2). */
  protocol: ZHttpProtocol.optional(),
  host: z.string().max(256),
  path: z.string().max(2048),
  /** What the client got; 0 when it got nothing (it left first, or a TCP connection). */
  status: z.number().int().min(0).max(999),
  bytesIn: bytes,
  bytesOut: bytes,
  durationMs: ms,
  /** The backend of the last attempt (host:port), empty when none was tried. */
  upstream: z.string().max(300),
  /** Connect time and time to the first byte of the answer, of the last attempt (-1: not reached). */
  connectMs: z.number().min(-1).max(86_400_000),
  firstByteMs: z.number().min(-1).max(86_400_000),
  attempts: z.number().int().min(0).max(100),
  requestId: z.string().max(256),
  termination: ZTermination,
  userAgent: z.string().max(512),
  referer: z.string().max(1024),
  /** Set when the listener answered itself (no route, a redirect, a fixed response, a route's rate limit): which one; pool is then empty unless the route sends to one. */
  listener: z.string().max(128).optional(),
});
export type TAccessRecord = z.infer<typeof ZAccessRecord>;

/** At most this many tail lines a second per data plane, on both ends of the link. */
export const TAIL_MAX_LINES_PER_SECOND = 200;
