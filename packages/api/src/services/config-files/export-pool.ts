import type { PrismaClient } from '@fulcrum/db';
import type { TConfigFormat, TPoolExport } from '@fulcrum/protocol';
import { exportHaproxy } from '../../config-files/haproxy-export';
import { exportNginx } from '../../config-files/nginx-export';
import { getPool } from '../pools/pools';

/** A pool (by id or name) as an NGINX or HAProxy file, for teams that keep one in front. */
export async function exportPool(prisma: PrismaClient, idOrName: string, format: TConfigFormat): Promise<TPoolExport> {
  const pool = await getPool(prisma, idOrName);
  const text = format === 'nginx' ? exportNginx(pool) : exportHaproxy(pool);
  return { format, fileName: `${pool.name}.${format === 'nginx' ? 'conf' : 'cfg'}`, text };
}
