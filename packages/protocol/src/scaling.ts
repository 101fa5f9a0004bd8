import { z } from 'zod';
import { ZId, ZPort, ZSlug, zIntRange, zMillis } from './primitives';

export const ZScalingMetric = z.enum(['p95_latency_ms', 'rps_per_backend', 'active_connections_per_backend', 'error_rate'], {
  error: 'metric must be p95_latency_ms, rps_per_backend, active_connections_per_backend or error_rate',
});
export type TScalingMetric = z.infer<typeof ZScalingMetric>;

export const ZProcessProvider = z.object({
  kind: z.literal('process'),
  /** Command line with {port} where the new instance's port goes. */
  command: z.string().min(1).max(2000).refine((c) => c.includes('{port}'), 'command must contain {port}'),
  host: z.string().default('127.0.0.1'),
  portRangeStart: ZPort,
  portRangeEnd: ZPort,
});
export const ZDockerProvider = z.object({
  kind: z.literal('docker'),
  socketPath: z.string().default('/var/run/docker.sock'),
  /** Engine API base URL instead of the socket, e.g. for tests. */
  baseUrl: z.string().url().optional(),
  image: z.string().min(1),
  containerPort: ZPort,
  network: z.string().optional(),
});
export const ZKubernetesProvider = z.object({
  kind: z.literal('kubernetes'),
  apiUrl: z.string().url(),
  namespace: z.string().min(1).default('default'),
  deployment: z.string().min(1),
  token: z.string().optional(),
  servicePort: ZPort,
});
export const ZWebhookProvider = z.object({
  kind: z.literal('webhook'),
  url: z.string().url('url must be a valid URL'),
  secret: z.string().optional(),
});
export const ZScalingProvider = z.discriminatedUnion('kind', [ZProcessProvider, ZDockerProvider, ZKubernetesProvider, ZWebhookProvider]);
export type TScalingProvider = z.infer<typeof ZScalingProvider>;

export const ZScalingRuleConfig = z
  .object({
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
    provider: ZScalingProvider,
  })
  .refine((r) => r.minInstances <= r.maxInstances, { message: 'minInstances must not exceed maxInstances', path: ['maxInstances'] })
  .refine((r) => r.scaleDownThreshold < r.scaleUpThreshold, { message: 'scale-down threshold must be below the scale-up threshold', path: ['scaleDownThreshold'] });
export type TScalingRuleConfig = z.infer<typeof ZScalingRuleConfig>;

export const ZScalingRuleCreate = z.object({ poolId: ZId, rule: ZScalingRuleConfig });
export const ZScalingRuleUpdate = z.object({ id: ZId, expectedVersion: z.number().int().min(1), rule: ZScalingRuleConfig });

/** What the evaluator keeps between ticks, shown by the dashboard. */
export const ZScalingRuleState = z.object({
  /** Since when the metric has been above the scale-up (or below the scale-down) threshold. */
  breach: z.object({ direction: z.enum(['up', 'down']), since: z.number().int() }).nullable().default(null),
  lastValue: z.number().nullable().default(null),
  instances: z.number().int().default(0),
  lastDecision: z.string().nullable().default(null),
});
export type TScalingRuleState = z.infer<typeof ZScalingRuleState>;

export const ZScalingRuleRecord = z.object({
  id: z.string(),
  poolId: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  metric: ZScalingMetric,
  config: ZScalingRuleConfig,
  state: ZScalingRuleState.nullable(),
  lastActionAt: z.string().nullable(),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TScalingRuleRecord = z.infer<typeof ZScalingRuleRecord>;
