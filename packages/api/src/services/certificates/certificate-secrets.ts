import type { PrismaClient } from '@fulcrum/db';
import { type TConfigSnapshot, certificateKeyRef } from '@fulcrum/protocol';
import { controlPlaneSecrets } from '../../secrets/control-plane-secrets';
import type { SecretSource } from '../../secrets/snapshot-secrets';
import { certificateKeyContext } from './certificates';

const REF = /^certificate\/(.+)\/key$/;

/**
 * The private keys of the certificates https listeners serve, opened from their sealed rows as
 * a snapshot goes over the link. A key whose row has moved on to another version than the
 * snapshot's chain (or is gone) stops the send with the reason: a data plane must never get a
 * chain and a key that do not belong together.
 */
export const certificateSecretSource: SecretSource = {
  kind: 'certificate',
  refs(snapshot: TConfigSnapshot): string[] {
    return snapshot.listeners.filter((l) => l.protocol === 'https').flatMap((l) => l.tls?.certificateIds.map(certificateKeyRef) ?? []);
  },
  async resolve(prisma: PrismaClient, refs: string[], snapshot?: TConfigSnapshot): Promise<Record<string, string>> {
    const ids = refs.map((r) => REF.exec(r)?.[1]).filter((id): id is string => id !== undefined);
    const rows = await prisma.certificate.findMany({ where: { id: { in: ids } }, select: { id: true, name: true, version: true, keySealed: true } });
    const box = controlPlaneSecrets();
    const out: Record<string, string> = {};
    for (const row of rows) {
      const wanted = snapshot?.certificates?.find((c) => c.id === row.id)?.version;
      if (wanted !== undefined && wanted !== row.version) throw new Error(`certificate ${row.name} is at version ${row.version}, revision ${snapshot?.version} carries version ${wanted}`);
      out[certificateKeyRef(row.id)] = box.open(row.keySealed, certificateKeyContext(row.id));
    }
    return out;
  },
};
