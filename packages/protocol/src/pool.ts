import { z } from 'zod';
import { ACCESS_LOG_DEFAULTS, ZAccessLogSettings } from './access-log';
import { zPatch } from './patch';
import { ZCidr, ZHost, ZId, ZPort, ZSlug, zIntRange, zMillis, zRequestPath, zToken } from './primitives';

export const ALGORITHMS = ['round_robin', 'weighted_round_robin', 'least_connections', 'weighted_least_connections', 'ip_hash', 'least_response_time', 'consistent_hash', 'p2c', 'random'] as const;
export const ZAlgorithm = z.enum(ALGORITHMS, { error: `algorithm must be one of: ${ALGORITHMS.join(', ')}` });
export type TAlgorithm = z.infer<typeof ZAlgorithm>;

/** One line per algorithm, shown beside the selector in the dashboard. */
export const ALGORITHM_DESCRIPTIONS: Record<TAlgorithm, string> = {
  round_robin: 'Each backend in turn, ignoring weights.',
  weighted_round_robin: "Smooth weighted round robin (NGINX's sequence): heavier backends get proportionally more, evenly spread.",
  least_connections: 'The backend with the fewest active connections.',
  weighted_least_connections: 'Fewest active connections relative to weight.',
  ip_hash: 'The same client IP always reaches the same backend while the pool is unchanged.',
  least_response_time: 'The backend with the lowest recent latency (EWMA), ties broken by active requests.',
  consistent_hash: 'Hash ring with virtual nodes on a key (client IP, header, cookie or path); adding a backend moves few keys.',
  p2c: 'Power of two choices: pick two at random, send to the less loaded.',
  random: 'Weighted random: each request goes to a backend drawn in proportion to its weight.',
};

export const ZPoolProtocol = z.enum(['http', 'tcp'], { error: 'protocol must be http or tcp' });
export type TPoolProtocol = z.infer<typeof ZPoolProtocol>;

export const ZHashKey = z.object({
  source: z.enum(['client_ip', 'header', 'cookie', 'path']).default('client_ip'),
  /** Header or cookie name when source is header or cookie. */
  name: zToken('name').optional(),
});
export type THashKey = z.infer<typeof ZHashKey>;

export const HEALTH_CHECK_TYPES = ['http', 'tcp', 'postgres', 'mysql'] as const;
export type THealthCheckType = (typeof HEALTH_CHECK_TYPES)[number];

// A name the server compares as it is: printable, no control characters (the wire format ends strings at NUL).
const zDbName = (what: string) =>
  z
    .string({ error: `${what} must be text` })
    .min(1, `${what} is required`)
    .max(63, `${what} is at most 63 characters`)
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), `${what} must not contain control characters`);

/**
 * What a `postgres` or `mysql` check logs in as and which role the pool wants. The password is not
 * here: `credentialId` names a stored database credential, whose password the control plane
 * attaches to the snapshot it sends (`secrets['credential/<id>/password']`), never to a revision.
 */
export const ZDatabaseCheck = z.object({
  /** `primary`: only the writable server is healthy; `replica`: only read-only ones within maxLagSeconds. */
  role: z.enum(['primary', 'replica'], { error: 'role must be primary or replica' }),
  /** How far behind the primary a replica may be (replicas only). */
  maxLagSeconds: zIntRange(0, 86_400).default(30),
  user: zDbName('user'),
  database: zDbName('database').optional(),
  credentialId: ZId,
});
export type TDatabaseCheck = z.infer<typeof ZDatabaseCheck>;

export const ZHealthCheck = z
  .object({
    enabled: z.boolean().default(true),
    /** Absent: follows the pool's protocol (see healthCheckType). */
    type: z.enum(HEALTH_CHECK_TYPES, { error: `type must be one of: ${HEALTH_CHECK_TYPES.join(', ')}` }).optional(),
    path: zRequestPath('path').default('/'),
    expectedStatusMin: zIntRange(100, 599).default(200),
    expectedStatusMax: zIntRange(100, 599).default(399),
    bodyContains: z.string().max(1024).optional(),
    intervalMs: zMillis(100, 3_600_000).default(2000),
    timeoutMs: zMillis(50, 60_000).default(1000),
    rise: zIntRange(1, 100).default(2),
    fall: zIntRange(1, 100).default(3),
    /** Login and role for `postgres` and `mysql` checks. */
    database: ZDatabaseCheck.optional(),
  })
  .refine((h) => h.expectedStatusMin <= h.expectedStatusMax, {
    message: 'expected status minimum must not exceed the maximum',
    path: ['expectedStatusMax'],
  })
  .superRefine((h, ctx) => {
    const isDb = h.type === 'postgres' || h.type === 'mysql';
    if (isDb && !h.database) ctx.addIssue({ code: 'custom', path: ['database'], message: `a ${h.type} check needs database settings: role, user and credentialId` });
    if (!isDb && h.database) ctx.addIssue({ code: 'custom', path: ['database'], message: 'database settings belong to postgres or mysql checks only' });
  });
export type THealthCheck = z.infer<typeof ZHealthCheck>;

/**
 * The check a pool's backends get: the one set, else the pool's protocol (a TCP pool's backends
 * need not speak HTTP). The data plane, deploys and the autoscaler all use this one answer.
 */
export function healthCheckType(pool: { protocol: TPoolProtocol; healthCheck: Pick<THealthCheck, 'type'> }): THealthCheckType {
  return pool.healthCheck.type ?? (pool.protocol === 'tcp' ? 'tcp' : 'http');
}

/** The secret references a pool's health check needs from the snapshot (a database check's password). */
export function healthCheckSecretRefs(pool: { healthCheck: Pick<THealthCheck, 'enabled' | 'database'> }): string[] {
  const db = pool.healthCheck.database;
  return pool.healthCheck.enabled && db ? [credentialPasswordRef(db.credentialId)] : [];
}

export const credentialPasswordRef = (credentialId: string) => `credential/${credentialId}/password`;

export const ZOutlierDetection = z.object({
  enabled: z.boolean().default(true),
  consecutiveErrors: zIntRange(1, 1000).default(5),
  baseEjectionMs: zMillis(100, 3_600_000).default(30_000),
  maxEjectionPercent: zIntRange(0, 100).default(50),
});
export type TOutlierDetection = z.infer<typeof ZOutlierDetection>;

export const ZTimeouts = z.object({
  connectMs: zMillis(10, 600_000).default(3000),
  /** Time from sending the request to the first response byte. */
  firstByteMs: zMillis(10, 3_600_000).default(30_000),
  /** Idle time on either side of an established exchange. */
  idleMs: zMillis(100, 3_600_000).default(60_000),
  /**
   * Idle time on either side of a tunnel (a WebSocket or other upgrade, after its 101), as
   * HAProxy's `timeout tunnel`; unset, tunnels live under `idleMs`. Up to 24 h.
   */
  tunnelMs: zMillis(100, 86_400_000).optional(),
});
export type TTimeouts = z.infer<typeof ZTimeouts>;

export const ZRetries = z.object({
  attempts: zIntRange(0, 10).default(2),
  /** Also retry idempotent requests on a 5xx answer. */
  on5xx: z.boolean().default(false),
  /** Retries may add at most this share of requests in flight. */
  budgetPercent: zIntRange(0, 100).default(20),
});
export type TRetries = z.infer<typeof ZRetries>;

export const ZStickiness = z.object({
  mode: z.enum(['none', 'cookie', 'header']).default('none'),
  cookieName: zToken('cookie name').default('FULCRUM_STICKY'),
  headerName: zToken('header name').default('x-fulcrum-sticky'),
  ttlSeconds: zIntRange(0, 31_536_000).default(3600),
});
export type TStickiness = z.infer<typeof ZStickiness>;

/** How an HTTP pool treats what clients send before the proxy forwards it. */
export const ZHttpSettings = z.object({
  /** Total time to receive a request head, however it trickles in (NGINX client_header_timeout, HAProxy timeout http-request). */
  headTimeoutMs: zMillis(100, 600_000).default(10_000),
  /** Request line plus headers; longer heads are refused with 431. */
  maxHeadBytes: zIntRange(1024, 1_048_576).default(16_384),
  /** Header fields per request; more are refused with 431 (HAProxy's tune.http.maxhdr is 101). */
  maxHeaders: zIntRange(8, 1000).default(100),
  /**
   * Peers whose X-Forwarded-For / X-Real-IP / X-Forwarded-Proto / X-Forwarded-Host are believed
   * (NGINX set_real_ip_from); from anyone else the proxy replaces them.
   */
  trustedProxies: z.array(ZCidr).max(256, 'at most 256 trusted networks').default([]),
  /** Name the failing backend in the X-Fulcrum-Error header of error pages (never in the page). */
  exposeErrorDetails: z.boolean().default(false),
});
export type THttpSettings = z.infer<typeof ZHttpSettings>;
export const HTTP_SETTINGS_DEFAULTS: THttpSettings = ZHttpSettings.parse({});

/** Everything an operator sets on a pool. Defaults make `{name}` enough (`listenPort` gives it its own listener). */
export const ZPoolConfig = z.object({
  name: ZSlug,
  protocol: ZPoolProtocol.default('http'),
  /**
   * A pool's own listener, made with it in one step (the common case): a listener named after
   * the pool on this address and port, with one catch-all route to it. Absent: the pool is
   * reached only through routes of other listeners.
   */
  listenHost: ZHost.default('0.0.0.0'),
  listenPort: ZPort.optional(),
  algorithm: ZAlgorithm.default('round_robin'),
  hashKey: ZHashKey.default({ source: 'client_ip' }),
  healthCheck: ZHealthCheck.default({
    enabled: true,
    path: '/',
    expectedStatusMin: 200,
    expectedStatusMax: 399,
    intervalMs: 2000,
    timeoutMs: 1000,
    rise: 2,
    fall: 3,
  }),
  outlierDetection: ZOutlierDetection.default({ enabled: true, consecutiveErrors: 5, baseEjectionMs: 30_000, maxEjectionPercent: 50 }),
  timeouts: ZTimeouts.default({ connectMs: 3000, firstByteMs: 30_000, idleMs: 60_000 }),
  retries: ZRetries.default({ attempts: 2, on5xx: false, budgetPercent: 20 }),
  stickiness: ZStickiness.default({ mode: 'none', cookieName: 'FULCRUM_STICKY', headerName: 'x-fulcrum-sticky', ttlSeconds: 3600 }),
  slowStartMs: zMillis(0, 3_600_000).default(0),
  /**
   * least_response_time's smoothing: the weight of the newest time-to-first-byte sample in each
   * backend's moving average (`avg = α·sample + (1−α)·avg`; the guide's 0.8). 1 keeps only the last.
   */
  responseTimeAlpha: z.number({ error: 'must be a number' }).gt(0, 'must be more than 0').max(1, 'must be at most 1').default(0.8),
  drainTimeoutMs: zMillis(0, 3_600_000).default(30_000),
  http: ZHttpSettings.default(HTTP_SETTINGS_DEFAULTS),
  accessLog: ZAccessLogSettings.default(ACCESS_LOG_DEFAULTS),
});
export type TPoolConfig = z.infer<typeof ZPoolConfig>;
export type TPoolConfigInput = z.input<typeof ZPoolConfig>;

export const ZPoolCreate = ZPoolConfig;
/** Updates name the row version they were based on; a stale one is refused with CONFLICT. */
export const ZPoolUpdate = z.object({
  id: ZId,
  expectedVersion: z.number().int().min(1),
  patch: zPatch(ZPoolConfig),
});
export type TPoolUpdate = z.infer<typeof ZPoolUpdate>;

export const ZPool = ZPoolConfig.extend({
  id: ZId,
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TPool = z.infer<typeof ZPool>;
