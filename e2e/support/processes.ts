import { readFileSync, readdirSync } from 'node:fs';

/** Pids of the processes (other than this one) whose command line holds `fragment`, from /proc; none where /proc is missing. */
export function processesNaming(fragment: string): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const e of entries) {
    const pid = Number(e);
    if (pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').split('\0').join(' ').includes(fragment)) pids.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/**
 * SIGKILL to every process whose command line holds `fragment`, with its process group when it
 * leads one (the control plane's process provider starts each instance as a group); returns how
 * many were still running.
 */
export function killProcessesNaming(fragment: string): number {
  const pids = processesNaming(fragment);
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
  return pids.length;
}
