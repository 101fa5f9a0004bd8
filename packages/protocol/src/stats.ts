import { z } from 'zod';
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
});
export type TBackendStats = z.infer<typeof ZBackendStats>;

export const ZPoolStats = z.object({
  poolId: ZId,
  backends: z.array(ZBackendStats),
});
export type TPoolStats = z.infer<typeof ZPoolStats>;

/** What a data plane reports once a second. */
export const ZStatsFrame = z.object({
  dataplaneId: ZId,
  /** End of the interval, ms since epoch. */
  ts: z.number().int(),
  intervalMs: z.number().int().min(1),
  configVersion: z.number().int().min(0).nullable(),
  pools: z.array(ZPoolStats),
});
export type TStatsFrame = z.infer<typeof ZStatsFrame>;
