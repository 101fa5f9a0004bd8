import type { PrismaClient } from '@fulcrum/db';
import { createApiToken } from './api-tokens';

/** The name of the token the control plane issues to the data plane it runs beside itself. */
export const LOCAL_DATAPLANE_TOKEN_NAME = 'local data plane';

/** Whether the dataplane token with this id still lets its data plane connect. */
export async function isDataplaneTokenUsable(prisma: PrismaClient, tokenId: string): Promise<boolean> {
  const row = await prisma.apiToken.findUnique({ where: { id: tokenId }, select: { role: true, revokedAt: true, expiresAt: true } });
  return !!row && row.role === 'dataplane' && !row.revokedAt && !(row.expiresAt && row.expiresAt < new Date());
}

/**
 * A new token for a new local data plane process: only the process started with a token holds
 * its secret (it is never written to disk). The token of the process it replaces is revoked,
 * which also frees that data plane's id for the new token; other control planes' local data
 * planes (replicas on other hosts) keep theirs.
 */
export async function issueLocalDataplaneToken(prisma: PrismaClient, replacesTokenId?: string): Promise<{ id: string; token: string }> {
  if (replacesTokenId) await prisma.apiToken.updateMany({ where: { id: replacesTokenId, revokedAt: null }, data: { revokedAt: new Date() } });
  const { id, token } = await createApiToken(prisma, { name: LOCAL_DATAPLANE_TOKEN_NAME, role: 'dataplane' });
  return { id, token };
}
