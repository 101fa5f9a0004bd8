import type { PrismaClient } from '@fulcrum/db';
import type { TConfigSnapshot } from '@fulcrum/protocol';
import { controlPlaneSecrets } from './control-plane-secrets';
import { credentialSecrets } from './credential-secrets';
import type { SecretBox } from './secret-box';
import { certificateSecretSource } from '../services/certificates/certificate-secrets';
import { hashWithSecrets } from '../services/revisions/link-hash';

/**
 * One kind of secret a snapshot can name (TLS private keys, database credentials): which
 * references a snapshot needs, and how to open them. Each kind registers itself in
 * SECRET_SOURCES; nothing else knows where secrets live.
 */
export interface SecretSource {
  kind: string;
  /** The references (`<kind>/<id>/<part>`) this snapshot needs from this source. */
  refs(snapshot: TConfigSnapshot): string[];
  /** Opens them (SecretBox); throws with an operator-readable reason when one cannot be. `snapshot`: the one being sent. */
  resolve(prisma: PrismaClient, refs: string[], snapshot?: TConfigSnapshot): Promise<Record<string, string>>;
}

export const SECRET_SOURCES: SecretSource[] = [credentialSecrets, certificateSecretSource];

/**
 * The snapshot as it goes over the link to a data plane: the stored revision plus the secrets it
 * references. Revisions are stored without secrets, so what the database, exports and APIs hold
 * never includes a private key or password in the clear.
 */
export async function withSecrets(
  prisma: PrismaClient,
  snapshot: TConfigSnapshot,
  sources: readonly SecretSource[] = SECRET_SOURCES,
  box: () => SecretBox = controlPlaneSecrets,
): Promise<TConfigSnapshot> {
  const secrets: Record<string, string> = {};
  for (const source of sources) {
    const refs = [...new Set(source.refs(snapshot))];
    if (!refs.length) continue;
    const opened = await source.resolve(prisma, refs, snapshot);
    for (const ref of refs) {
      const value = opened[ref];
      if (value === undefined) throw new Error(`the secret ${ref} that revision ${snapshot.version} names is missing`);
      secrets[ref] = value;
    }
  }
  if (!Object.keys(secrets).length) return snapshot;
  return { ...snapshot, secrets, hash: hashWithSecrets(snapshot.hash, secrets, box()) };
}
