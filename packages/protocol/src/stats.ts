import { z } from 'zod';
import { ZLatencyHistogram } from './latency-histogram';
import { ZId } from './primitives';

export const ZHealthState = z.enum(['healthy', 'unhealthy', 'unknown']);
export type THealthState = z.infer<typeof ZHealthState>;

/** One backend's counters for one interval (deltas), plus gauges sampled at its end. */
export const ZBackendStats = z.object({
  backendId: ZId,
  requests: z.number().int().min(0),
  responses: z.object({
    '1xx': z.number().int().min(0),
    '2xx': z.number().int().min(0),
    '3xx': z.number().int().min(0),
    '4xx': z.number().int().min(0),
    '5xx': z.number().int().min(0),
  }),
  errors: z.object({
    connect: z.number().int().min(0),
    timeout: z.number().int().min(0),
    reset: z.number().int().min(0),
  }),
  activeConnections: z.number().int().min(0),
  bytesIn: z.number().int().min(0),
  bytesOut: z.number().int().min(0),
  latencyMs: z.object({ p50: z.number().min(0), p95: z.number().min(0), p99: z.number().min(0) }),
  health: ZHealthState,
  ejected: z.boolean(),
  /** Upstream attempt latency as mergeable buckets (latencyMs stays for control planes that predate it). */
  latency: ZLatencyHistogram.optional(),
});
export type TBackendStats = z.infer<typeof ZBackendStats>;

const count = z.number().int().min(0);
const ZStatusClasses = z.object({ '1xx': count, '2xx': count, '3xx': count, '4xx': count, '5xx': count });

/**
 * Why the proxy answered a client itself instead of relaying a backend's answer. Each cause has
 * one status (PROXY_CAUSE_STATUS); the answers are also counted in the client status classes.
 */
export const ZProxyCause = z.enum([
  'no_healthy_backend',
  'max_connections',
  'connect_failed',
  'upstream_failed',
  'timeout',
  'reconfiguring',
  'bad_request',
  'request_timeout',
  'header_too_large',
  'rate_limited',
  'no_route',
]);
export type TProxyCause = z.infer<typeof ZProxyCause>;

export const PROXY_CAUSE_STATUS: Record<TProxyCause, number> = {
  no_healthy_backend: 503,
  max_connections: 503,
  connect_failed: 502,
  upstream_failed: 502,
  timeout: 504,
  reconfiguring: 503,
  bad_request: 400,
  request_timeout: 408,
  header_too_large: 431,
  rate_limited: 429,
  no_route: 404,
};

/** How an operator reads a cause. */
export const PROXY_CAUSE_LABEL: Record<TProxyCause, string> = {
  no_healthy_backend: 'no healthy backend',
  max_connections: 'every backend at max connections',
  connect_failed: 'connect failed',
  upstream_failed: 'backend failed mid-answer',
  timeout: 'backend timeout',
  reconfiguring: 'pool being reconfigured',
  bad_request: 'bad request',
  request_timeout: 'client request timeout',
  header_too_large: 'request head too large',
  rate_limited: 'rate limited (429)',
  no_route: 'no route matched (404)',
};

/**
 * What a pool's clients got over one interval: every response sent to a client (the backends'
 * relayed and the proxy's own), by status class and, for the proxy's own, by cause; client
 * connections; retries; bytes; total time as a histogram. Upstream attempts are per backend.
 */
export const ZPoolClientStats = z.object({
  responses: ZStatusClasses,
  proxyResponses: z.partialRecord(ZProxyCause, count),
  connections: z.object({
    accepted: count,
    /** Closed by the proxy without serving (e.g. a TCP pool with no backend to connect to). */
    refused: count,
    /** Exchanges the client abandoned before its answer was complete. */
    reset: count,
  }),
  /** Upstream attempts beyond the first, over all requests. */
  retries: count,
  bytesIn: count,
  bytesOut: count,
  latency: ZLatencyHistogram,
});
export type TPoolClientStats = z.infer<typeof ZPoolClientStats>;

export const ZPoolStats = z.object({
  poolId: ZId,
  backends: z.array(ZBackendStats),
  /** Absent from data planes that predate client-side counters. */
  client: ZPoolClientStats.optional(),
});
export type TPoolStats = z.infer<typeof ZPoolStats>;

/**
 * Answers a listener gives itself, before or instead of any pool: no route matched (404), a
 * route's redirect or fixed response, a rate limit on a route that sends to no pool, a route
 * whose pool is not running here (503), a redirect whose variables would break its header (400).
 * A rate limit on a route to a pool is that pool's (ZProxyCause `rate_limited`).
 */
export const ZListenerAnswer = z.enum(['no_route', 'redirect', 'fixed', 'rate_limited', 'reconfiguring', 'bad_redirect', 'acme_challenge']);
export type TListenerAnswer = z.infer<typeof ZListenerAnswer>;

/** How an operator reads a listener's own answer. */
export const LISTENER_ANSWER_LABEL: Record<TListenerAnswer, string> = {
  no_route: 'no route matched (404)',
  redirect: 'redirect',
  fixed: 'fixed response',
  rate_limited: 'rate limited (429)',
  reconfiguring: 'pool being reconfigured (503)',
  bad_redirect: 'redirect refused: bad variable (400)',
  acme_challenge: 'ACME challenge answered',
};

/** A listener's own answers over one interval: by status class (what clients got) and by kind. */
export const ZListenerStats = z.object({
  listenerId: ZId,
  responses: ZStatusClasses,
  answers: z.partialRecord(ZListenerAnswer, count),
});
export type TListenerStats = z.infer<typeof ZListenerStats>;

/** What a data plane reports once a second. */
export const ZStatsFrame = z.object({
  dataplaneId: ZId,
  /** End of the interval, ms since epoch. */
  ts: z.number().int(),
  intervalMs: z.number().int().min(1),
  configVersion: z.number().int().min(0).nullable(),
  pools: z.array(ZPoolStats),
  /** Listeners that answered anything themselves in the interval; absent from data planes that predate them. */
  listeners: z.array(ZListenerStats).max(10_000).optional(),
});
export type TStatsFrame = z.infer<typeof ZStatsFrame>;
