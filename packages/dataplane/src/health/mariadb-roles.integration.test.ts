import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../test-support';
import { judgeRole } from './database-role';
import { type MariadbServer, hasMariadb, startMariadb } from './database-test-servers';
import { probeMysql } from './mysql-probe';

/** Role detection on real MariaDB servers: a writable primary and a read-only replica replicating from it. */

const PASSWORD = 'check pw ü';
let primary: MariadbServer;
let replica: MariadbServer;

const createChecker = (s: MariadbServer) =>
  s.sql(`create user 'checker'@'127.0.0.1' identified by '${PASSWORD}'; grant slave monitor on *.* to 'checker'@'127.0.0.1'; create user 'plain'@'127.0.0.1' identified by '${PASSWORD}';`);

beforeAll(async () => {
  [primary, replica] = await Promise.all([startMariadb(['--server-id=1', '--log-bin=mariadb-bin']), startMariadb(['--server-id=2'])]);
  createChecker(primary);
  createChecker(replica);
  primary.sql("create user 'repl'@'127.0.0.1' identified by 'repl-pw'; grant replication slave on *.* to 'repl'@'127.0.0.1';");
  const [file, pos] = primary.sql('show master status').trim().split('\t');
  replica.sql(
    `change master to master_host='127.0.0.1', master_port=${primary.port}, master_user='repl', master_password='repl-pw', master_log_file='${file}', master_log_pos=${pos}; start slave; set global read_only = on;`,
  );
}, 240_000);
afterAll(async () => {
  await Promise.all([primary?.stop(), replica?.stop()]);
});

const login = (s: MariadbServer, user = 'checker', password = PASSWORD) => ({ host: '127.0.0.1', port: s.port, user, password, timeoutMs: 10_000 });

describe.skipIf(!hasMariadb())('MySQL/MariaDB role checks against real MariaDB servers', () => {
  it('find the primary writable and the replica read-only with its lag', async () => {
    const p = await probeMysql(login(primary));
    expect(p).toMatchObject({ writable: true });
    expect(judgeRole(p, { role: 'primary', maxLagSeconds: 5 }).ok).toBe(true);
    await eventually(async () => (await probeMysql(login(replica))).lagSeconds === 0, 60_000);
    const r = await probeMysql(login(replica));
    expect(r).toMatchObject({ writable: false, lagSeconds: 0 });
    expect(judgeRole(r, { role: 'replica', maxLagSeconds: 5 })).toEqual({ ok: true, reason: 'replica, 0 s behind' });
    expect(judgeRole(r, { role: 'primary', maxLagSeconds: 5 }).ok).toBe(false);
  });

  it('take a replica whose replication stopped out, and keep a read-only server whose status the user may not see (saying so)', async () => {
    replica.sql('stop slave');
    try {
      const stopped = await probeMysql(login(replica));
      expect(stopped).toMatchObject({ writable: false, replicationStopped: true });
      expect(judgeRole(stopped, { role: 'replica', maxLagSeconds: 5 })).toMatchObject({ ok: false, reason: 'replica whose replication is not running' });
    } finally {
      replica.sql('start slave');
    }
    const unprivileged = await probeMysql(login(replica, 'plain'));
    expect(unprivileged.writable).toBe(false);
    expect(unprivileged.note).toMatch(/no replica status: .*denied/i);
  });

  it('follow a role change: the replica made writable is a primary at the next check', async () => {
    replica.sql('stop slave; set global read_only = off;');
    expect(await probeMysql(login(replica))).toMatchObject({ writable: true });
  });

  it('refuse a wrong password with the server’s reason', async () => {
    await expect(probeMysql(login(primary, 'checker', 'wrong'))).rejects.toThrow(/login refused: Access denied for user 'checker'@'127.0.0.1' \(using password: YES\) \(1045\)/);
  });
});
