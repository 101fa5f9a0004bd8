import { z } from 'zod';
import { ZId, ZSlug } from './primitives';

/**
 * ACME (RFC 8555) as Fulcrum speaks it: accounts at a certificate authority, certificates it
 * issues for a listener's hosts through HTTP-01, and the challenges every data plane answers at
 * /.well-known/acme-challenge/<token> while an order runs.
 */

/** Where HTTP-01 challenges are answered (RFC 8555 §8.3). */
export const ACME_CHALLENGE_PREFIX = '/.well-known/acme-challenge/';
/** At most this many challenges are pending at once (the link carries the whole set; a data plane keeps no more). */
export const ACME_MAX_PENDING_CHALLENGES = 1000;
/** Days before notAfter an ACME certificate is renewed unless its own setting says otherwise (as Caddy and certbot do). */
export const ACME_RENEW_BEFORE_DAYS_DEFAULT = 30;

/** A token as RFC 8555 §8.1 makes it: base64url only, so it can never hold a path, a dot or a percent sign. */
export const ZAcmeToken = z
  .string()
  .min(16, 'an ACME token has at least 128 bits (22 base64url characters; 16 at the least)')
  .max(128, 'an ACME token is at most 128 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'an ACME token is base64url (letters, digits, - and _) only');

/** token.thumbprint (RFC 8555 §8.1): the body a data plane answers with. */
export const ZAcmeKeyAuthorization = z
  .string()
  .max(256, 'a key authorization is at most 256 characters')
  .regex(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/, 'a key authorization reads <token>.<base64url SHA-256 thumbprint>');

export const ZAcmeChallenge = z
  .object({ token: ZAcmeToken, keyAuthorization: ZAcmeKeyAuthorization })
  .refine((c) => c.keyAuthorization.startsWith(`${c.token}.`), { message: 'the key authorization does not start with its token', path: ['keyAuthorization'] });
export type TAcmeChallenge = z.infer<typeof ZAcmeChallenge>;

/** The whole set of pending challenges (replaces the previous one); `seq`: the highest challenge seq it holds, acked back. */
export const ZAcmeChallengeSet = z.object({
  seq: z.number().int().min(0),
  challenges: z.array(ZAcmeChallenge).max(ACME_MAX_PENDING_CHALLENGES, `at most ${ACME_MAX_PENDING_CHALLENGES} pending ACME challenges`),
});
export type TAcmeChallengeSet = z.infer<typeof ZAcmeChallengeSet>;

const zHttpsUrl = z
  .string()
  .trim()
  .max(2048, 'directoryUrl is at most 2048 characters')
  .refine((u) => {
    try {
      const url = new URL(u);
      return url.protocol === 'https:' && !url.username && !url.password;
    } catch {
      return false;
    }
  }, 'directoryUrl must be an https:// URL (RFC 8555 requires HTTPS), without credentials');

/** Registering an account at a CA: the operator agrees to its terms explicitly. */
export const ZAcmeAccountCreate = z.object({
  name: ZSlug,
  directoryUrl: zHttpsUrl,
  email: z.email('email must be an email address (the CA writes to it about expiring certificates)').max(254),
  termsAgreed: z.literal(true, { error: "termsAgreed must be true: read the CA's terms of service and agree to them" }),
  /** A CA certificate (PEM) the directory's HTTPS is trusted with, for private ACME servers; the system's CAs otherwise. */
  directoryCa: z
    .string()
    .max(65_536, 'directoryCa is at most 64 KiB of PEM')
    .refine((s) => s.includes('-----BEGIN CERTIFICATE-----'), 'directoryCa is not a PEM certificate')
    .optional(),
});
export type TAcmeAccountCreate = z.infer<typeof ZAcmeAccountCreate>;

/** What the API says about an account: never its key. */
export const ZAcmeAccount = z.object({
  id: ZId,
  name: z.string(),
  directoryUrl: z.string(),
  email: z.string(),
  accountUrl: z.string(),
  privateDirectoryCa: z.boolean(),
  certificates: z.array(z.string()),
  createdAt: z.string(),
});
export type TAcmeAccount = z.infer<typeof ZAcmeAccount>;

export const ZAcmeAccountDelete = z.object({ id: ZId });
export type TAcmeAccountDelete = z.infer<typeof ZAcmeAccountDelete>;

/** A DNS name HTTP-01 can prove: no wildcard (RFC 8555 §8.3 leaves those to DNS-01), no IP address. */
export const ZAcmeHost = z
  .string()
  .trim()
  .toLowerCase()
  .max(253, 'a host is at most 253 characters')
  .refine((h) => !h.startsWith('*.'), 'HTTP-01 cannot prove a wildcard name (*.example.com): upload that certificate instead')
  .refine((h) => h.startsWith('*.') || (/^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$/.test(h) && !/^[\d.]+$/.test(h)), 'a host must be a DNS name (no IP address, port or path)');

/**
 * Asks for a certificate by ACME: for the hosts given, or for the exact hosts a listener's routes
 * match (one of the two). Stored as an ordinary certificate named `name`, renewed automatically.
 */
export const ZAcmeCertificateRequest = z
  .object({
    name: ZSlug,
    /** The account (id or name). */
    account: z.string().min(1, 'account is required').max(128),
    hosts: z.array(ZAcmeHost).min(1, 'hosts needs at least one name').max(100, 'at most 100 hosts in one certificate').optional(),
    /** A listener (id or name) whose routes' exact hosts the certificate covers. */
    listener: z.string().min(1).max(128).optional(),
    renewBeforeDays: z.number().int('renewBeforeDays must be a whole number').min(1, 'renewBeforeDays must be at least 1').max(365, 'renewBeforeDays must be at most 365').optional(),
  })
  .refine((r) => (r.hosts === undefined) !== (r.listener === undefined), { message: 'give either hosts or listener (the hosts its routes match)', path: ['hosts'] });
export type TAcmeCertificateRequest = z.infer<typeof ZAcmeCertificateRequest>;

/** Renews one ACME certificate now, whatever its renewal window says. */
export const ZAcmeRenew = z.object({ id: ZId });
export type TAcmeRenew = z.infer<typeof ZAcmeRenew>;

/** A certificate's ACME facts as the API shows them. */
export const ZCertificateAcme = z.object({
  account: z.string(),
  renewBeforeDays: z.number().int(),
  /** When the renewal loop will take it (the window's start, or a backoff after failures). */
  renewAfter: z.string(),
  lastError: z.string().nullable(),
  failures: z.number().int(),
});
export type TCertificateAcme = z.infer<typeof ZCertificateAcme>;
