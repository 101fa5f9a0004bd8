import { credentialPasswordRef, healthCheckSecretRefs } from '@fulcrum/protocol';
import { openCredentialPasswords } from '../services/database-credentials/database-credentials';
import type { SecretSource } from './snapshot-secrets';

const PREFIX = 'credential/';

/** Database health checks' passwords: `credential/<id>/password`, opened from DatabaseCredential rows. */
export const credentialSecrets: SecretSource = {
  kind: 'credential',
  refs: (snapshot) => snapshot.pools.flatMap((p) => healthCheckSecretRefs(p)).filter((r) => r.startsWith(PREFIX)),
  async resolve(prisma, refs) {
    const ids = refs.map((r) => r.slice(PREFIX.length, r.lastIndexOf('/')));
    const opened = await openCredentialPasswords(prisma, ids);
    const out: Record<string, string> = {};
    for (const [id, password] of opened) out[credentialPasswordRef(id)] = password;
    return out;
  },
};
