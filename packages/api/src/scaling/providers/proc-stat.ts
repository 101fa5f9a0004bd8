import { readFileSync, readdirSync } from 'node:fs';

/** Linux reports /proc/<pid>/stat times in USER_HZ, which is 100 on every architecture it exposes to user space. */
const USER_HZ = 100;

/**
 * Fields of one /proc/<pid>/stat line that matter here. The command name (field 2) is in
 * parentheses and may itself hold spaces and parentheses, so fields are counted from the last ')'.
 */
export function parseProcStat(line: string): { pgrp: number; cpuMs: number } | null {
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
  return { pgrp, cpuMs: ((utime + stime) * 1000) / USER_HZ };
}

/**
 * CPU time so far (ms) of every process in each of the given process groups: an instance is its
 * program and whatever it forked, so all pids whose pgrp is the instance's count.
 */
export function cpuMsByProcessGroup(pgids: Iterable<number>, procDir = '/proc'): Map<number, number> {
  const wanted = new Set(pgids);
  const totals = new Map<number, number>();
  if (!wanted.size) return totals;
  for (const entry of readdirSync(procDir)) {
    if (!/^\d+$/.test(entry)) continue;
    let line: string;
    try {
      line = readFileSync(`${procDir}/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited between the listing and the read
    }
    const stat = parseProcStat(line);
    if (stat && wanted.has(stat.pgrp)) totals.set(stat.pgrp, (totals.get(stat.pgrp) ?? 0) + stat.cpuMs);
  }
  return totals;
}
