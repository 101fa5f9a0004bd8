import { z } from 'zod';
import { ZCertificateAcme } from './acme';
import { ZId, ZSlug } from './primitives';

/** A PEM text as uploaded: bounded, and nothing but printable text. */
const zPem = (field: 'chain' | 'key') =>
  z
    .string({ error: `${field} is required (PEM text)` })
    .min(1, `${field} is required (PEM text)`)
    .max(65_536, `${field} is at most 64 KiB of PEM`)
    .refine((s) => s.includes('-----BEGIN '), `${field} is not PEM text (no -----BEGIN line)`);

/** An upload: the chain (leaf first, then its issuers) and the leaf's private key, both PEM. */
export const ZCertificateUpload = z.object({
  name: ZSlug,
  chain: zPem('chain'),
  key: zPem('key'),
});
export type TCertificateUpload = z.infer<typeof ZCertificateUpload>;

/** A rotation: a new chain and key under the same certificate id (listeners keep naming it). */
export const ZCertificateRotate = z.object({
  id: ZId,
  chain: zPem('chain'),
  key: zPem('key'),
});
export type TCertificateRotate = z.infer<typeof ZCertificateRotate>;

/** What the API says about a certificate: parsed facts, the public chain, never the key. */
export const ZCertificate = z.object({
  id: ZId,
  name: z.string(),
  /** Subject names the leaf serves: its DNS subjectAltNames, or its CN when it has none. */
  names: z.array(z.string()),
  notBefore: z.string(),
  notAfter: z.string(),
  /** SHA-256 of the leaf's DER. */
  fingerprint: z.string(),
  keyType: z.string(),
  issuer: z.string(),
  version: z.number().int(),
  chain: z.string(),
  /** Listeners of the current configuration that serve it (a used certificate cannot be deleted). */
  usedBy: z.array(z.string()),
  /** Set when ACME issues and renews it (null: uploaded, rotated by hand). */
  acme: ZCertificateAcme.nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type TCertificate = z.infer<typeof ZCertificate>;

/** Deleting: the version read, so a rotation in between is not deleted unseen. */
export const ZCertificateDelete = z.object({ id: ZId, expectedVersion: z.number().int().min(1).max(2_147_483_647) });
export type TCertificateDelete = z.infer<typeof ZCertificateDelete>;

/** Days before notAfter when the control plane records that a certificate is about to expire. */
export const CERTIFICATE_EXPIRY_NOTICE_DAYS = 14;

/** A certificate as a snapshot carries it: public parts only. Its key travels as `certificate/<id>/key` in the snapshot's secrets. */
export const ZSnapshotCertificate = z.object({
  id: ZId,
  name: z.string().max(128),
  /** Bumped on rotation, so a rotated certificate changes the snapshot's hash. */
  version: z.number().int().min(1),
  names: z.array(z.string().max(253)).max(1000),
  chain: z.string().min(1).max(65_536),
});
export type TSnapshotCertificate = z.infer<typeof ZSnapshotCertificate>;

/** The reference under which a certificate's private key travels in `snapshot.secrets`. */
export const certificateKeyRef = (id: string) => `certificate/${id}/key`;
