import { z } from 'zod';

export const ROLES = ['admin', 'operator', 'viewer'] as const;
export const ZRole = z.enum(ROLES, { error: 'role must be admin, operator or viewer' });
export type TRole = z.infer<typeof ZRole>;

/** Tokens may also carry the data plane role, which only opens the WebSocket link. */
export const ZTokenRole = z.enum([...ROLES, 'dataplane'], { error: 'role must be admin, operator, viewer or dataplane' });
export type TTokenRole = z.infer<typeof ZTokenRole>;

export const ZEmail = z.string().trim().toLowerCase().email('email must be a valid address').max(254);
export const ZPassword = z.string().min(8, 'password must be at least 8 characters').max(256);

export const ZSetupAdmin = z.object({ email: ZEmail, name: z.string().trim().min(1, 'name is required').max(128), password: ZPassword });
/** Longer passwords are refused before hashing: scrypt over a huge body costs the server, not the guesser. */
export const PASSWORD_MAX_LENGTH = 1024;
export const ZLogin = z.object({ email: ZEmail, password: z.string().min(1, 'password is required').max(PASSWORD_MAX_LENGTH, `password is at most ${PASSWORD_MAX_LENGTH} characters`) });
export const ZUserCreate = ZSetupAdmin.extend({ role: ZRole });
export const ZUserUpdate = z.object({ id: z.string(), role: ZRole.optional(), name: z.string().trim().min(1).max(128).optional(), password: ZPassword.optional() });
export const ZTokenCreate = z.object({ name: z.string().trim().min(1, 'name is required').max(128), role: ZTokenRole, expiresInDays: z.number().int().min(1).max(3650).optional() });

export const SESSION_COOKIE = 'fulcrum_session';
