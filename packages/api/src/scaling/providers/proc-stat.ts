import { readFileSync, readdirSync } from 'node:fs';

/** Linux reports /proc/<pid>/stat times in USER_HZ, which is 100 on every architecture it exposes to user space. */
const USER_HZ = 100;

/**
 * Fields of one /proc/<pid>/stat line that matter here. The command name (field 2) is in
 * parentheses and may itself hold spaces and parentheses, so fields are counted from the last ')'.
 */
export function parseProcStat(line: string): { state: string; pgrp: number; cpuMs: number } | null {
  const close = line.lastIndexOf(')');
  if (close < 0) return null;
  // After ')': state(3) ppid(4) pgrp(5) session(6) tty_nr(7) tpgid(8) flags(9) minflt(10) cminflt(11) majflt(12) cmajflt(13) utime(14) stime(15)
  const f = line
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const pgrp = Number(f[2]);
  const utime = Number(f[11]);
  const stime = Number(f[12]);
  if (!Number.isInteger(pgrp) || !Number.isFinite(utime) || !Number.isFinite(stime)) return null;
  return { state: f[0] ?? '', pgrp, cpuMs: ((utime + stime) * 1000) / USER_HZ };
}

/** Each /proc/<pid>/stat line that can be read (a process may exit between the listing and the read). */
function* procStats(procDir: string): Generator<{ pid: number; stat: NonNullable<ReturnType<typeof parseProcStat>> }> {
  for (const entry of readdirSync(procDir)) {
    if (!/^\d+$/.test(entry)) continue;
    let line: string;
    try {
      line = readFileSync(`${procDir}/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    const stat = parseProcStat(line);
    if (stat) yield { pid: Number(entry), stat };
  }
}

/**
 * The processes of a process group that still run: a program's children that ignore the stop
 * signal keep an instance alive after the program exits. Zombies (`Z`: exited, waiting for a
 * parent that may never reap them) and dead ones (`X`) do not count.
 */
export function processGroupMembers(pgid: number, procDir = '/proc'): number[] {
  const pids: number[] = [];
  for (const { pid, stat } of procStats(procDir)) if (stat.pgrp === pgid && stat.state !== 'Z' && stat.state !== 'X') pids.push(pid);
  return pids;
}

/**
 * CPU time so far (ms) of every process in each of the given process groups: an instance is its
 * program and whatever it forked, so all pids whose pgrp is the instance's count.
 */
export function cpuMsByProcessGroup(pgids: Iterable<number>, procDir = '/proc'): Map<number, number> {
  const wanted = new Set(pgids);
  const totals = new Map<number, number>();
  if (!wanted.size) return totals;
  for (const { stat } of procStats(procDir)) if (wanted.has(stat.pgrp)) totals.set(stat.pgrp, (totals.get(stat.pgrp) ?? 0) + stat.cpuMs);
  return totals;
}
