import { z } from 'zod';
import { ZId, ZSlug } from './primitives';

/**
 * Logins for database health checks. An admin writes them; the password is sealed at rest, sent
 * only to data planes inside the snapshots that name it, and never returned by any API.
 */

const noControl = (s: string) => !/[\u0000-\u001f\u007f]/.test(s);
const ZDbUser = z.string({ error: 'user must be text' }).min(1, 'user is required').max(63, 'user is at most 63 characters').refine(noControl, 'user must not contain control characters');
/** Any text the server accepts, except NUL (the wire format ends strings there). */
const ZDbPassword = z
  .string({ error: 'password must be text' })
  .min(1, 'password must not be empty')
  .max(1024, 'password is at most 1024 characters')
  .refine((s) => !s.includes('\u0000'), 'password must not contain a NUL byte');

export const ZDatabaseCredentialCreate = z.object({ name: ZSlug, user: ZDbUser, password: ZDbPassword }).strict();
export type TDatabaseCredentialCreate = z.infer<typeof ZDatabaseCredentialCreate>;

/** Replaces a credential; `password` left out keeps the stored one. */
export const ZDatabaseCredentialUpdate = z.object({ id: ZId, expectedVersion: z.number().int().min(1).max(2_147_483_647), name: ZSlug, user: ZDbUser, password: ZDbPassword.optional() }).strict();
export type TDatabaseCredentialUpdate = z.infer<typeof ZDatabaseCredentialUpdate>;

export const ZDatabaseCredentialRecord = z.object({
  id: z.string(),
  name: z.string(),
  user: z.string(),
  /** Pools whose health check logs in with it. */
  usedBy: z.array(z.string()),
  version: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TDatabaseCredentialRecord = z.infer<typeof ZDatabaseCredentialRecord>;
