import { z } from 'zod';
import { ZHost, ZPort, ZSlug, zIntRange, zMillis } from './primitives';

export const ZDeployStrategy = z.enum(['canary', 'bluegreen', 'rolling'], { error: 'strategy must be canary, bluegreen or rolling' });
export const ZDeployStatus = z.enum(['pending', 'running', 'succeeded', 'failed', 'aborted', 'rolled_back']);
export type TDeployStatus = z.infer<typeof ZDeployStatus>;

/** The fields of a deploy request; ZDeployStart adds the checks across them (an API route extends the fields, then checks). */
export const ZDeployStartFields = z.object({
  version: z.string().trim().min(1, 'version is required').max(64),
  /** The new version's backends, started by CI (canary, blue/green); a rolling deploy starts its own. */
  backends: z.array(z.object({ host: ZHost, port: ZPort, weight: zIntRange(1, 1000).default(1) })).default([]),
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
  /** Rolling: the scaling rule whose provider profile starts the new version (optional when the pool has one). */
  rule: ZSlug.optional(),
  /** Rolling: new instances started at once beyond the current count. */
  maxSurge: zIntRange(0, 100).default(1),
  /** Rolling: old instances that may be out of service before their replacements pass health. */
  maxUnavailable: zIntRange(0, 100).default(0),
});

/** The checks across a deploy request's fields: a rolling deploy starts its own instances, the others bring theirs. */
export function checkDeployStart(d: z.infer<typeof ZDeployStartFields>, ctx: z.RefinementCtx): void {
  // Tools that walk the schema (the OpenAPI generator) may call a check without a parsed value.
  if (d === undefined || d === null) return;
  if (d.strategy === 'rolling') {
    if (d.backends.length) ctx.addIssue({ code: 'custom', path: ['backends'], message: 'a rolling deploy starts the new version through the pool’s provider; leave backends out' });
    if (d.maxSurge === 0 && d.maxUnavailable === 0) ctx.addIssue({ code: 'custom', path: ['maxSurge'], message: 'maxSurge and maxUnavailable cannot both be 0' });
  } else {
    if (!d.backends.length) ctx.addIssue({ code: 'custom', path: ['backends'], message: 'at least one backend is required' });
    if (d.rule !== undefined) ctx.addIssue({ code: 'custom', path: ['rule'], message: 'only a rolling deploy uses a scaling rule’s provider' });
  }
}

/** The fields the checks across them read; while one of these is itself invalid they wait (its own error says it). */
const CHECKED_TOGETHER = new Set<PropertyKey>(['backends', 'maxSurge', 'maxUnavailable', 'rule']);

/**
 * A deploy request's schema with the checks across its fields, run even when another field (a bad
 * strategy, a missing version) failed, so one answer names every field that is wrong. An API
 * route that extends the fields (the pool in the path) adds the checks the same way.
 */
export function withDeployChecks<T extends z.ZodType<z.infer<typeof ZDeployStartFields>>>(schema: T): T {
  return schema.check(z.superRefine(checkDeployStart, { when: (payload) => payload.issues.every((i) => !CHECKED_TOGETHER.has(i.path?.[0] ?? '')) }));
}

export const ZDeployStart = withDeployChecks(ZDeployStartFields);
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
