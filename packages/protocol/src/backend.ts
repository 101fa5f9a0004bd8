import { z } from 'zod';
import { zPatch } from './patch';
import { ZHost, ZId, ZPort, zIntRange } from './primitives';

export const ZAdminState = z.enum(['active', 'draining', 'disabled'], { error: 'adminState must be active, draining or disabled' });
export type TAdminState = z.infer<typeof ZAdminState>;

export const ZBackendConfig = z.object({
  host: ZHost,
  port: ZPort,
  weight: zIntRange(1, 1000).default(1),
  backup: z.boolean().default(false),
  /** 0 means no limit. */
  maxConnections: zIntRange(0, 1_000_000).default(0),
  adminState: ZAdminState.default('active'),
  /** Release label, used by deploys. */
  versionLabel: z.string().trim().max(64).nullable().optional(),
});
export type TBackendConfig = z.infer<typeof ZBackendConfig>;
export type TBackendConfigInput = z.input<typeof ZBackendConfig>;

export const ZBackendCreate = ZBackendConfig.extend({ poolId: ZId });
export const ZBackendUpdate = z.object({
  id: ZId,
  expectedVersion: z.number().int().min(1),
  patch: zPatch(ZBackendConfig),
});
export type TBackendUpdate = z.infer<typeof ZBackendUpdate>;

export const ZBackend = ZBackendConfig.extend({
  id: ZId,
  poolId: ZId,
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TBackend = z.infer<typeof ZBackend>;

export function backendAddress(b: { host: string; port: number }): string {
  return b.host.includes(':') ? `[${b.host}]:${b.port}` : `${b.host}:${b.port}`;
}
