import { createHash } from 'node:crypto';
import type { TSnapshotCertificate, TSnapshotListener, TSnapshotPool } from '@fulcrum/protocol';
import type { SecretBox } from '../../secrets/secret-box';

/**
 * The one place the hash a data plane compares (to skip an identical snapshot) is made: the
 * compiled config's, and the suffix the secrets sent with it add over the link.
 */

/** JSON with object keys sorted, so equal configs always hash the same. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A compiled config's hash: pools, listeners with their routes, and certificates when there are any (a rotation must not look unchanged). */
export function configHash(pools: TSnapshotPool[], listeners: TSnapshotListener[], certificates: TSnapshotCertificate[] = []): string {
  return createHash('sha256')
    .update(canonicalJson(certificates.length ? { pools, listeners, certificates } : { pools, listeners }))
    .digest('hex');
}

/**
 * The hash of a snapshot as sent with its secrets: a changed secret (a rotated password) changes
 * it, so data planes apply it rather than skip the config as unchanged. The digest is keyed
 * (SecretBox), so it reveals nothing of the secrets themselves.
 */
export function hashWithSecrets(hash: string, secrets: Record<string, string>, box: SecretBox): string {
  return `${hash}.s${box.digest(canonicalJson(secrets))}`;
}
