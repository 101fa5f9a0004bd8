import { type ChildProcess, execFile, spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@fulcrum/test-support';

/**
 * Real PostgreSQL and MariaDB servers from Debian's packages for the database health check tests,
 * each in its own temporary folder on 127.0.0.1. As root they run as the `postgres` / `mysql`
 * user (neither server runs as root). Every wait is bounded.
 */

const PG_BIN = (() => {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(path.join(root, v, 'bin', 'postgres')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  return versions[0] ? path.join(root, versions[0], 'bin') : undefined;
})();

export const hasPostgres = () => PG_BIN !== undefined;

/**
 * Runs SQL with psql as a separate process without blocking this one (a data plane in this
 * process must keep forwarding the connection); resolves with its output or `error: <stderr>`.
 */
export function psqlAsync(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      path.join(PG_BIN!, 'psql'),
      ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-XAtq', '-c', text],
      { timeout: 30_000, env: { ...process.env, PGPASSWORD: PG_SUPERUSER_PASSWORD, PGCONNECT_TIMEOUT: '10' } },
      (err, stdout, stderr) => resolve(err ? `error: ${String(stderr).trim() || err.message}` : String(stdout).trim()),
    );
  });
}
export const hasMariadb = () => spawnSync('mariadbd', ['--version'], { stdio: 'ignore' }).status === 0 || existsSync('/usr/sbin/mariadbd');

const asRoot = process.getuid?.() === 0;

function account(user: string): { uid: number; gid: number } | undefined {
  if (!asRoot) return undefined;
  const uid = Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim());
  const gid = Number(spawnSync('id', ['-g', user], { encoding: 'utf8' }).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new Error(`no ${user} user to run the server as`);
  return { uid, gid };
}

function tempDir(prefix: string, owner: { uid: number; gid: number } | undefined): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  chmodSync(dir, 0o700);
  return dir;
}

function run(cmd: string, args: string[], opts: { owner?: { uid: number; gid: number }; env?: Record<string, string>; input?: string } = {}): string {
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    timeout: 120_000,
    input: opts.input,
    env: { ...process.env, ...opts.env },
    ...(opts.owner ? { uid: opts.owner.uid, gid: opts.owner.gid } : {}),
    cwd: os.tmpdir(),
  });
  if (r.status !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${r.status ?? r.signal}): ${r.stderr || r.stdout || r.error?.message}`);
  return r.stdout;
}

async function until(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not happen within ${ms} ms`);
}

function stopProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill(signal);
  });
}

export const PG_SUPERUSER_PASSWORD = 'super secret ü';

export interface PostgresServer {
  port: number;
  dir: string;
  /** Runs SQL as the superuser through psql; returns its unaligned output. */
  sql(text: string): string;
  stop(): Promise<void>;
}

const PG_SETTINGS = [
  '-c',
  'listen_addresses=127.0.0.1',
  '-c',
  'wal_level=replica',
  '-c',
  'max_wal_senders=5',
  '-c',
  'hot_standby=on',
  '-c',
  'fsync=off',
  '-c',
  'shared_buffers=16MB',
  '-c',
  'max_connections=20',
];

/** A port chosen in advance can be taken before the server binds it: then another port is tried. */
async function startPostgresIn(dataDir: string, owner: { uid: number; gid: number } | undefined): Promise<PostgresServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startPostgresOnce(dataDir, owner, await freePort());
    } catch (err) {
      if (attempt >= 3 || !/could not bind|Address already in use/i.test(String(err))) throw err;
    }
  }
}

async function startPostgresOnce(dataDir: string, owner: { uid: number; gid: number } | undefined, port: number): Promise<PostgresServer> {
  const child = spawn(path.join(PG_BIN!, 'postgres'), ['-D', dataDir, '-p', String(port), '-k', dataDir, ...PG_SETTINGS], {
    stdio: ['ignore', 'ignore', 'pipe'],
    cwd: os.tmpdir(),
    ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
  });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  const sql = (text: string) =>
    run(path.join(PG_BIN!, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'postgres', '-XAtq', '-v', 'ON_ERROR_STOP=1', '-c', text], {
      env: { PGPASSWORD: PG_SUPERUSER_PASSWORD, PGCONNECT_TIMEOUT: '10' },
    });
  await until(`PostgreSQL on port ${port} accepting connections (log: ${log})`, () => {
    if (child.exitCode !== null) throw new Error(`PostgreSQL exited: ${log}`);
    return spawnSync(path.join(PG_BIN!, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-t', '2']).status === 0;
  });
  return { port, dir: dataDir, sql, stop: () => stopProcess(child, 'SIGINT') };
}

/**
 * A PostgreSQL primary (hba: md5 for every host login, which stored SCRAM passwords answer with
 * SCRAM) and a streaming replica made from it with pg_basebackup -R.
 */
export async function startPostgresPair(): Promise<{ primary: PostgresServer; replica: PostgresServer; cleanup(): Promise<void> }> {
  const owner = account('postgres');
  const root = tempDir('fulcrum-pg-pair-', owner);
  const primaryDir = path.join(root, 'primary');
  const pwfile = path.join(root, 'pw');
  writeFileSync(pwfile, `${PG_SUPERUSER_PASSWORD}\n`, { mode: 0o600 });
  if (owner) chownSync(pwfile, owner.uid, owner.gid);
  run(path.join(PG_BIN!, 'initdb'), ['-D', primaryDir, '-U', 'postgres', '--pwfile', pwfile, '--auth-local=trust', '--auth-host=md5', '-E', 'UTF8', '--no-sync'], { owner });
  const servers: PostgresServer[] = [];
  const cleanup = async () => {
    for (const s of servers) await s.stop();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    const primary = await startPostgresIn(primaryDir, owner);
    servers.push(primary);
    const replicaDir = path.join(root, 'replica');
    run(path.join(PG_BIN!, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', replicaDir, '-R', '-X', 'stream', '--no-sync'], {
      owner,
      env: { PGPASSWORD: PG_SUPERUSER_PASSWORD },
    });
    if (owner) chmodSync(replicaDir, 0o700);
    const replica = await startPostgresIn(replicaDir, owner);
    servers.push(replica);
    return { primary, replica, cleanup };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

export interface MariadbServer {
  port: number;
  /** Runs SQL as root over the server's socket. */
  sql(text: string): string;
  stop(): Promise<void>;
}

/** A MariaDB server with its own data folder; `extra` adds server options (server id, binary log). */
export async function startMariadb(extra: string[] = []): Promise<MariadbServer> {
  const owner = account('mysql');
  const dir = tempDir('fulcrum-mariadb-', owner);
  if (owner) chmodSync(dir, 0o755); // the socket inside must be reachable by the client
  const dataDir = path.join(dir, 'data');
  const socket = path.join(dir, 'mysqld.sock');
  run('mariadb-install-db', ['--no-defaults', `--datadir=${dataDir}`, '--auth-root-authentication-method=socket', '--skip-test-db', ...(owner ? ['--user=mysql'] : [])], {});
  const port = await freePort();
  const args = [
    '--no-defaults',
    `--datadir=${dataDir}`,
    `--socket=${socket}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--pid-file=${path.join(dir, 'pid')}`,
    '--skip-name-resolve',
    '--innodb-buffer-pool-size=16M',
    '--skip-log-error',
    ...(owner ? ['--user=mysql'] : []),
    ...extra,
  ];
  const child = spawn('mariadbd', args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: os.tmpdir() });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log = (log + c.toString()).slice(-4000)));
  const sql = (text: string) => run('mariadb', ['--no-defaults', `--socket=${socket}`, '-uroot', '-N', '-B', '-e', text]);
  await until(`MariaDB on port ${port} ready`, () => {
    if (child.exitCode !== null) throw new Error(`MariaDB exited: ${log}`);
    return existsSync(socket) && statSync(socket).isSocket() && spawnSync('mariadb-admin', ['--no-defaults', `--socket=${socket}`, '-uroot', 'ping'], { stdio: 'ignore' }).status === 0;
  });
  return {
    port,
    sql,
    stop: async () => {
      await stopProcess(child, 'SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
