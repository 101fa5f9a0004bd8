import { z } from 'zod';

export const ZRevisionListInput = z.object({ limit: z.number().int().min(1).max(200).default(50), beforeVersion: z.number().int().optional() });
export const ZRevisionDiffInput = z.object({ from: z.number().int().min(0), to: z.number().int().min(0) });
export const ZRevisionRollback = z.object({
  version: z.number().int().min(1),
  /** The newest revision the caller saw; when given, a rollback after someone else's change is refused (409). */
  expectedVersion: z.number().int().min(0).optional(),
  message: z.string().trim().max(500).optional(),
});
/** Every write may say why; it lands in the revision's message. */
export const ZChangeReason = z.string().trim().max(500).optional();
