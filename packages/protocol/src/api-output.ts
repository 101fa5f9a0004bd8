import { z } from 'zod';
import { ZBackend } from './backend';
import { ZPool } from './pool';

/**
 * What the API answers, declared once: the routers' `.output()` (and so the OpenAPI document),
 * fulcrumctl's parsing of REST answers and the dashboard's types all use these.
 */
export const ZOk = z.object({ ok: z.literal(true) });
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

export type TPoolListItem = z.infer<typeof ZPoolListItem>;
export type TRevisionSummary = z.infer<typeof ZRevisionSummary>;
export type TUserSummary = z.infer<typeof ZUserSummary>;
