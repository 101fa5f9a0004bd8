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
 * A new token for the local data plane, revoking the earlier ones: only the process started
 * with it holds the secret (it is never written to disk), so a new process needs a new token.
 */
export async function issueLocalDataplaneToken(prisma: PrismaClient): Promise<{ id: string; token: string }> {
  await prisma.apiToken.updateMany({ where: { name: LOCAL_DATAPLANE_TOKEN_NAME, revokedAt: null }, data: { revokedAt: new Date() } });
  const { id, token } = await createApiToken(prisma, { name: LOCAL_DATAPLANE_TOKEN_NAME, role: 'dataplane' });
  return { id, token };
}
