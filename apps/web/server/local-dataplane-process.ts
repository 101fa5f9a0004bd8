import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/** Where the local data plane's process is recorded and what it runs, from the web app's env. */
export interface LocalDataplanePaths {
  pidFile: string;
  logFile: string;
  stateDir: string;
  /** The script a new process runs. */
  entry: string;
}

/** What the pid file holds: enough to take the process back, never the token itself. */
export interface LocalDataplaneRecord {
  pid: number;
  /** The id of the token it was started with: adopted only while that token is still usable. */
  tokenId: string;
  controlPlaneUrl: string;
  /** The script it runs: with the state folder, it tells our data plane from a reused pid. */
  entry: string;
  startedAt: string;
  /**
   * Set by `pnpm stop`: the record stays so that the next start revokes the stopped process's
   * token (freeing its data-plane id for the new one), and a supervising control plane knows
   * the stop was meant.
   */
  stoppedAt?: string;
}

const STOP_GRACE_MS = 10_000;

export function readRecord(pidFile: string): LocalDataplaneRecord | undefined {
  try {
    const r = JSON.parse(readFileSync(pidFile, 'utf8')) as Partial<LocalDataplaneRecord>;
    return Number.isInteger(r.pid) && r.pid! > 1 && typeof r.tokenId === 'string' && typeof r.controlPlaneUrl === 'string' && typeof r.entry === 'string' ? (r as LocalDataplaneRecord) : undefined;
  } catch {
    return undefined;
  }
}

/** Written whole then renamed, so a reader never sees half a record. */
export function writeRecord(pidFile: string, record: LocalDataplaneRecord): void {
  writeFileSync(`${pidFile}.tmp`, JSON.stringify(record), { mode: 0o600 });
  renameSync(`${pidFile}.tmp`, pidFile);
}

/** Alive and not a zombie (a child that exited but was not reaped yet is gone). */
export function isRunning(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .startsWith('Z');
  } catch {
    return false;
  }
}

/** The recorded pid still runs our data plane: its entry script with our state folder (not a reused pid). */
export function runsOurDataplane(record: Pick<LocalDataplaneRecord, 'pid' | 'entry'>, stateDir: string): boolean {
  if (!isRunning(record.pid)) return false;
  try {
    const args = readFileSync(`/proc/${record.pid}/cmdline`, 'utf8').split('\0');
    const at = args.indexOf('--state-dir');
    return args.includes(record.entry) && at >= 0 && args[at + 1] === stateDir;
  } catch {
    return false;
  }
}

/**
 * Stops the recorded data plane (its whole process group: it leads one), SIGKILL after a grace
 * period. The record is marked stopped first: a control plane supervising it then knows the
 * stop was meant and does not start it again.
 */
export async function stopLocalDataplane(paths: Pick<LocalDataplanePaths, 'pidFile' | 'stateDir'>, record = readRecord(paths.pidFile)): Promise<'stopped' | 'not running'> {
  if (!record || record.stoppedAt) return 'not running';
  if (readRecord(paths.pidFile)?.pid === record.pid) writeRecord(paths.pidFile, { ...record, stoppedAt: new Date().toISOString() });
  if (!runsOurDataplane(record, paths.stateDir)) return 'not running';
  const { pid } = record;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (isRunning(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isRunning(pid)) signal('SIGKILL');
  for (let i = 0; i < 100 && isRunning(pid); i++) await new Promise((r) => setTimeout(r, 50));
  return 'stopped';
}
