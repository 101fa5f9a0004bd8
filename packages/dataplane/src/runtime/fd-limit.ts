import process from 'node:process';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface FdLimit {
  soft: number | 'unlimited';
  hard: number | 'unlimited';
}

export interface FdLimitReport {
  /** The limit in force now. */
  nofile: FdLimit | null;
  /** What it was at start, before any raise. */
  atStart: FdLimit | null;
  /** How the soft limit was raised, or why it was not. */
  note: string;
}

const parse = (v: string | undefined): number | 'unlimited' => (v === 'unlimited' ? 'unlimited' : Number(v));

/** RLIMIT_NOFILE of this process, from /proc (Linux); null where there is no /proc. */
export function readFdLimit(): FdLimit | null {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const [soft, hard] = line?.slice('Max open files'.length).trim().split(/\s+/) ?? [];
    const limit = { soft: parse(soft), hard: parse(hard) };
    return Number.isNaN(limit.soft) || Number.isNaN(limit.hard) ? null : limit;
  } catch {
    return null;
  }
}

/**
 * Raises the soft RLIMIT_NOFILE to the hard limit, as HAProxy and NGINX do at start: each
 * client and upstream connection is a descriptor, and the usual soft limit (1024) is far below
 * what a proxy holds. Node raises it while starting on most platforms; where it did not, and
 * since Node offers no setrlimit, this asks util-linux's `prlimit` to set this process's limit
 * (prlimit(2) on our own pid needs no privilege for soft <= hard). Without prlimit the limit
 * stays and the report says so.
 */
export function raiseFdLimit(): FdLimitReport {
  const atStart = readFdLimit();
  if (!atStart) return { nofile: null, atStart, note: 'RLIMIT_NOFILE unknown (no /proc/self/limits)' };
  // Node itself raises the soft limit as far as it can while starting (PlatformInit), so this is the usual case.
  if (atStart.soft === atStart.hard) return { nofile: atStart, atStart, note: `soft limit at the hard limit (${atStart.hard})` };
  try {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=${atStart.hard}:${atStart.hard}`], { stdio: 'ignore', timeout: 5000 });
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'prlimit (util-linux) is not installed' : `prlimit failed: ${(err as Error).message}`;
    return { nofile: atStart, atStart, note: `soft limit left at ${atStart.soft}: ${why}` };
  }
  const now = readFdLimit();
  return { nofile: now, atStart, note: now?.soft === atStart.hard ? `soft limit raised from ${atStart.soft} to ${atStart.hard} with prlimit` : 'prlimit ran but the limit did not change' };
}

/** Whether util-linux's prlimit can be run here. */
export function prlimitAvailable(): boolean {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** Client connections the whole process accepts by default: each may also hold an upstream descriptor, and some are kept for listeners, health checks and logs. */
export function defaultMaxConnections(limit: FdLimit | null): number {
  const soft = limit?.soft ?? 1024;
  if (soft === 'unlimited') return 1_000_000;
  return Math.max(64, Math.floor((soft - 256) / 2));
}
