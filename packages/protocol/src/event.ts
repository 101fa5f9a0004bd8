import { z } from 'zod';

export const EVENT_KINDS = [
  'health_flip',
  'ejection',
  'scaling',
  'recovery',
  'deploy_step',
  'config_revision',
  'dataplane_join',
  'dataplane_leave',
  'snapshot_refused',
  /** A TLS certificate within 14 days of its end, or past it (once per certificate version). */
  'certificate_expiry',
  /** An ACME certificate issued or renewed, or an order that failed (with the CA's reason). */
  'certificate_acme',
] as const;
export const ZEventKind = z.enum(EVENT_KINDS);
export type TEventKind = z.infer<typeof ZEventKind>;

export const ZEventSeverity = z.enum(['info', 'warning', 'error']);

/** An event as a data plane reports it; the control plane stores it with its own id and time. */
export const ZDataplaneEvent = z.object({
  kind: ZEventKind,
  severity: ZEventSeverity.default('info'),
  poolId: z.string().nullable().optional(),
  backendId: z.string().nullable().optional(),
  message: z.string().max(2000),
  data: z.record(z.string(), z.unknown()).optional(),
  ts: z.number().int(),
});
export type TDataplaneEvent = z.infer<typeof ZDataplaneEvent>;

export const ZEventListInput = z.object({
  poolId: z.string().optional(),
  kind: ZEventKind.optional(),
  limit: z.number().int().min(1).max(500).default(100),
  before: z.string().optional(),
});
