import { ZChangeReason } from '@fulcrum/protocol';
import { z } from 'zod';

// The outputs live in @fulcrum/protocol (api-output.ts), shared with fulcrumctl and the dashboard.
export { ZEventRecord, ZOk, ZPoolListItem, ZPoolWithBackends, ZRevisionSummary, ZSnapshotChange, ZUserSummary } from '@fulcrum/protocol';

/** Small input schemas the routers share. */
export const ZReason = z.object({ reason: ZChangeReason });
export const ZIdInput = z.object({ id: z.string().min(1, 'id is required') });
export const ZVersionedDelete = z.object({ id: z.string().min(1, 'id is required'), expectedVersion: z.number().int().min(1), reason: ZChangeReason });
