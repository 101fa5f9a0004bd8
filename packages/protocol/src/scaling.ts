import { z } from 'zod';
import { ZId, ZSlug, zIntRange, zMillis } from './primitives';
import { ZProfileRef, ZScalingRuleProvider } from './provider-profile';

export const ZScalingMetric = z.enum(['p95_latency_ms', 'rps_per_backend', 'active_connections_per_backend', 'error_rate', 'cpu_percent'], {
  error: 'metric must be p95_latency_ms, rps_per_backend, active_connections_per_backend, error_rate or cpu_percent',
});
export type TScalingMetric = z.infer<typeof ZScalingMetric>;

/**
 * Automatic recovery of a rule's instances: each tick they are probed with the pool's health check;
 * one that exited, or failed every probe for `unhealthyAfterMs`, is replaced (start new, passes
 * health, joins, old drained and removed). `minHealthy` (default: the rule's minInstances) is the
 * count of passing instances the rule keeps: below it, replacements start even beyond minInstances.
 */
export const ZScalingRecovery = z
  .object({
    enabled: z.boolean().default(true),
    minHealthy: zIntRange(0, 1000).optional(),
    unhealthyAfterMs: zMillis(1000, 3_600_000).default(10_000),
  })
  .strict();
export type TScalingRecovery = z.infer<typeof ZScalingRecovery>;

/** A rule's own settings; its provider is a profile an admin declared (provider-profile.ts). */
export const ZScalingRuleSettings = z.object({
  name: ZSlug,
  enabled: z.boolean().default(true),
  metric: ZScalingMetric,
  scaleUpThreshold: z.number().min(0),
  scaleDownThreshold: z.number().min(0),
  windowMs: zMillis(1000, 3_600_000).default(30_000),
  minInstances: zIntRange(0, 1000).default(1),
  maxInstances: zIntRange(1, 1000).default(10),
  step: zIntRange(1, 100).default(1),
  cooldownMs: zMillis(0, 86_400_000).default(60_000),
  // prefault: the inner defaults apply when the whole object is left out (a rule saved before recovery existed).
  recovery: ZScalingRecovery.prefault({}),
});

export type TScalingRuleSettings = z.infer<typeof ZScalingRuleSettings>;

export const ZScalingRuleConfig = ZScalingRuleSettings.extend({ provider: ZScalingRuleProvider })
  .strict()
  .refine((r) => r.minInstances <= r.maxInstances, { message: 'minInstances must not exceed maxInstances', path: ['maxInstances'] })
  .refine((r) => r.scaleDownThreshold < r.scaleUpThreshold, { message: 'scale-down threshold must be below the scale-up threshold', path: ['scaleDownThreshold'] })
  .refine((r) => r.recovery.minHealthy === undefined || r.recovery.minHealthy <= r.maxInstances, { message: 'minHealthy must not exceed maxInstances', path: ['recovery', 'minHealthy'] });
export type TScalingRuleConfig = z.infer<typeof ZScalingRuleConfig>;

export const ZScalingRuleCreate = z.object({ poolId: ZId, rule: ZScalingRuleConfig });
export const ZScalingRuleUpdate = z.object({ id: ZId, expectedVersion: z.number().int().min(1), rule: ZScalingRuleConfig });

/** What the evaluator keeps between ticks, shown by the dashboard. */
export const ZScalingRuleState = z.object({
  /** Since when the metric has been above the scale-up (or below the scale-down) threshold. */
  breach: z
    .object({ direction: z.enum(['up', 'down']), since: z.number().int() })
    .nullable()
    .default(null),
  lastValue: z.number().nullable().default(null),
  instances: z.number().int().default(0),
  lastDecision: z.string().nullable().default(null),
  /** Instances passing the pool's health check at the last tick (null before recovery probed them). */
  healthy: z.number().int().nullable().default(null),
});
export type TScalingRuleState = z.infer<typeof ZScalingRuleState>;

export const ZScalingRuleRecord = z.object({
  id: z.string(),
  poolId: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  metric: ZScalingMetric,
  /** Null only for a rule made before provider profiles: it stays disabled until it picks one. */
  config: ZScalingRuleSettings.extend({ provider: ZScalingRuleProvider.nullable() }),
  profile: ZProfileRef.nullable(),
  /** What a rule made before provider profiles ran (kind and target, never a secret); it is never run again. */
  legacyProvider: z.object({ kind: z.string(), target: z.string() }).nullable(),
  state: ZScalingRuleState.nullable(),
  lastActionAt: z.string().nullable(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TScalingRuleRecord = z.infer<typeof ZScalingRuleRecord>;
