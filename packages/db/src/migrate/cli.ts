/**
 * `pnpm --filter @fulcrum/db migrate dev <name> | deploy | status`
 * Runs against DATABASE_URL, or the embedded PostgreSQL when it is unset.
 */
import path from 'node:path';
import { startEmbeddedPostgres } from '../embedded-postgres';
import { dbEnv } from '../env';
import { migrateDeploy, migrateDev, migrateStatus } from './migrations';

const [command, name] = process.argv.slice(2);
const usage = 'usage: migrate dev <name> | deploy | status';

async function main(): Promise<number> {
  if (!command || !['dev', 'deploy', 'status'].includes(command) || (command === 'dev' && !name)) {
    console.error(usage);
    return 2;
  }
  const embedded = dbEnv.databaseUrl ? undefined : await startEmbeddedPostgres({ dataDir: path.join(dbEnv.dataDir, 'pg'), port: dbEnv.pgPort });
  const url = dbEnv.databaseUrl ?? embedded!.url('postgres');
  try {
    if (command === 'dev') {
      const created = await migrateDev(url, name!);
      console.log(created ? `created and applied prisma/migrations/${created}` : 'schema.prisma and the migrations agree: nothing to create');
    } else if (command === 'deploy') {
      const applied = await migrateDeploy(url);
      console.log(applied.length ? `applied: ${applied.join(', ')}` : 'no pending migrations');
    } else {
      const s = await migrateStatus(url);
      console.log(`applied: ${s.applied.length}, pending: ${s.pending.join(', ') || 'none'}`);
      if (s.failed.length) console.log(`failed (fix the database, then deploy again): ${s.failed.join(', ')}`);
      if (s.edited.length) console.log(`edited after they were applied: ${s.edited.join(', ')}`);
      // Like `prisma migrate status`: a non-zero exit lets scripts wait for a deploy.
      if (!s.upToDate) return 1;
    }
    return 0;
  } finally {
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
