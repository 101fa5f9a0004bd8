import { z } from 'zod';
import { ZHost, ZPort, zIntRange, zMillis } from './primitives';

export const ZDeployStrategy = z.enum(['canary', 'bluegreen'], { error: 'strategy must be canary or bluegreen' });
export const ZDeployStatus = z.enum(['pending', 'running', 'succeeded', 'failed', 'aborted', 'rolled_back']);
export type TDeployStatus = z.infer<typeof ZDeployStatus>;

export const ZDeployStart = z.object({
  version: z.string().trim().min(1, 'version is required').max(64),
  backends: z.array(z.object({ host: ZHost, port: ZPort, weight: zIntRange(1, 1000).default(1) })).min(1, 'at least one backend is required'),
  strategy: ZDeployStrategy.default('canary'),
  /** Percent of traffic on the new version at each canary step. */
  steps: z.array(zIntRange(1, 100)).min(1).default([10, 50, 100]),
  stepPauseMs: zMillis(0, 3_600_000).default(10_000),
  /** Abort when the new version's error rate (5xx + errors per request) exceeds this during a step. */
  maxErrorRate: z.number().min(0).max(1).default(0.05),
  /**
   * Requests the new backends must have answered (their upstream attempts, from every data plane)
   * before a gate may pass: a gate holds past its pause until they have, for at most
   * trafficTimeoutMs, then fails. 0 lets a gate pass on health probes alone.
   */
  minRequests: zIntRange(0, 1_000_000).default(1),
  trafficTimeoutMs: zMillis(0, 3_600_000).default(60_000),
  healthyTimeoutMs: zMillis(1000, 3_600_000).default(60_000),
  drainTimeoutMs: zMillis(0, 3_600_000).default(30_000),
  idempotencyKey: z.string().trim().max(128).optional(),
});
export type TDeployStart = z.infer<typeof ZDeployStart>;

export const ZDeployStepRecord = z.object({
  seq: z.number().int(),
  name: z.string(),
  status: z.string(),
  detail: z.unknown(),
  createdAt: z.string(),
});
export type TDeployStepRecord = z.infer<typeof ZDeployStepRecord>;

/** A deploy as the API returns it: status, the request it was started with, and every step so far. */
export const ZDeployRecord = z.object({
  id: z.string(),
  poolId: z.string(),
  versionLabel: z.string(),
  strategy: ZDeployStrategy,
  status: ZDeployStatus,
  spec: z.unknown(),
  idempotencyKey: z.string().nullable(),
  startedBy: z.string(),
  error: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  finishedAt: z.string().nullable(),
  steps: z.array(ZDeployStepRecord),
});
export type TDeployRecord = z.infer<typeof ZDeployRecord>;

/** Statuses after which a deploy never changes again. */
export const DEPLOY_FINAL_STATUSES: readonly TDeployStatus[] = ['succeeded', 'failed', 'aborted', 'rolled_back'];
