import { type TDatabaseCheck, type TSnapshotPool, credentialPasswordRef } from '@fulcrum/protocol';
import { judgeRole } from './database-role';
import { probeMysql } from './mysql-probe';
import { probePostgres } from './postgres-probe';

/**
 * A `postgres` or `mysql` check of one backend: log in with the pool's credential, learn the
 * server's role and lag, and judge it against what the pool wants. Never rejects; every failure
 * (refused login, garbage, timeout) is a failed check with its reason.
 */
export async function checkDatabase(
  kind: 'postgres' | 'mysql',
  pool: Pick<TSnapshotPool, 'healthCheck'>,
  target: { host: string; port: number },
  secrets: Readonly<Record<string, string>> | undefined,
): Promise<{ ok: boolean; reason: string }> {
  const db: TDatabaseCheck | undefined = pool.healthCheck.database;
  if (!db) return { ok: false, reason: `a ${kind} check without database settings` };
  const password = secrets?.[credentialPasswordRef(db.credentialId)];
  if (password === undefined) return { ok: false, reason: `credential ${db.credentialId} was not sent with the config` };
  try {
    const login = { host: target.host, port: target.port, user: db.user, database: db.database, password, timeoutMs: pool.healthCheck.timeoutMs };
    const facts = await (kind === 'postgres' ? probePostgres(login) : probeMysql(login));
    return judgeRole(facts, db);
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}
