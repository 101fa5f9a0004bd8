import { ZBackend, ZChangeReason, ZPool } from '@fulcrum/protocol';
import { z } from 'zod';

/** Output and small input schemas the routers share (OpenAPI needs outputs declared). */
export const ZOk = z.object({ ok: z.literal(true) });
export const ZReason = z.object({ reason: ZChangeReason });
export const ZIdInput = z.object({ id: z.string().min(1, 'id is required') });
export const ZVersionedDelete = z.object({ id: z.string().min(1, 'id is required'), expectedVersion: z.number().int().min(1), reason: ZChangeReason });
export const ZPoolListItem = ZPool.extend({ backendCount: z.number().int() });
export const ZPoolWithBackends = ZPool.extend({ backends: z.array(ZBackend) });
export const ZRevisionSummary = z.object({
  version: z.number().int(),
  hash: z.string(),
  author: z.string(),
  message: z.string(),
  rollbackOf: z.number().int().nullable(),
  createdAt: z.string(),
});
export const ZSnapshotChange = z.object({
  path: z.string(),
  kind: z.enum(['added', 'removed', 'changed']),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
});
export const ZEventRecord = z.object({
  id: z.string(),
  kind: z.string(),
  severity: z.string(),
  poolId: z.string().nullable(),
  backendId: z.string().nullable(),
  dataplaneId: z.string().nullable(),
  message: z.string(),
  data: z.unknown(),
  createdAt: z.string(),
});
export const ZUserSummary = z.object({ id: z.string(), email: z.string(), name: z.string(), role: z.string(), createdAt: z.string() });
