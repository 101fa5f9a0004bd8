import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CpuSampler, averageOf } from './cpu-sampler';
import { dockerCpuPercent } from './docker-provider';
import { parseCpuQuantity } from './kubernetes-provider';
import { parseProcStat, processGroupMembers } from './proc-stat';

describe('CPU readings', () => {
  it('reads pgrp and utime+stime from /proc/<pid>/stat, counting fields after the last ")" of the command name', () => {
    // A command name may hold spaces and parentheses; splitting on spaces from the start would shift every field.
    const line = '4242 (evil) 1 2 (x) S 1 4200 4200 0 -1 4194304 120 0 0 0 250 75 0 0 20 0 1 0 100 1000 10';
    expect(parseProcStat(line)).toEqual({ state: 'S', pgrp: 4200, cpuMs: 3250 });
    expect(parseProcStat('no parentheses here')).toBeNull();
    expect(parseProcStat('1 (x) S 1 notanumber')).toBeNull();
  });

  it('lists the processes of a group that still run: zombies and other groups are not counted', () => {
    const proc = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-proc-'));
    try {
      const stat = (pid: number, state: string, pgrp: number) => {
        mkdirSync(path.join(proc, String(pid)));
        writeFileSync(path.join(proc, String(pid), 'stat'), `${pid} (node) ${state} 1 ${pgrp} ${pgrp} 0 -1 0 0 0 0 0 5 5 0 0 20 0 1 0 100 1000 10`);
      };
      stat(10, 'S', 10);
      stat(11, 'Z', 10);
      stat(12, 'R', 10);
      stat(13, 'S', 99);
      mkdirSync(path.join(proc, 'self'));
      expect(processGroupMembers(10, proc).sort()).toEqual([10, 12]);
      expect(processGroupMembers(42, proc)).toEqual([]);
    } finally {
      rmSync(proc, { recursive: true, force: true });
    }
  });

  it('turns cumulative CPU time into percent of one core between samples, never negative', () => {
    const s = new CpuSampler();
    expect(s.sample('a', 1000, 0)).toBeNull();
    expect(s.sample('a', 1500, 1000)).toBe(50);
    expect(s.sample('a', 3500, 2000)).toBe(200);
    // A child of the group exited and took its time along: no use, not a negative one.
    expect(s.sample('a', 100, 3000)).toBe(0);
    s.keepOnly([]);
    expect(s.sample('a', 200, 4000)).toBeNull();
    expect(averageOf([null, 40, 80])).toBe(60);
    expect(averageOf([null])).toBeNull();
  });

  it('computes docker stats CPU like `docker stats`', () => {
    const stats = {
      cpu_stats: { cpu_usage: { total_usage: 3_000_000 }, system_cpu_usage: 20_000_000, online_cpus: 4 },
      precpu_stats: { cpu_usage: { total_usage: 1_000_000 }, system_cpu_usage: 10_000_000 },
    };
    expect(dockerCpuPercent(stats)).toBeCloseTo(80);
    // The first read after a container starts has no previous sample.
    expect(dockerCpuPercent({ cpu_stats: stats.cpu_stats, precpu_stats: {} })).toBeNull();
  });

  it('parses Kubernetes CPU quantities', () => {
    expect(parseCpuQuantity('250m')).toBeCloseTo(0.25);
    expect(parseCpuQuantity('2')).toBe(2);
    expect(parseCpuQuantity('0.5')).toBe(0.5);
    expect(parseCpuQuantity('123456789n')).toBeCloseTo(0.123456789);
    expect(parseCpuQuantity('1500u')).toBeCloseTo(0.0015);
    expect(parseCpuQuantity('1Gi')).toBeNull();
    expect(parseCpuQuantity('')).toBeNull();
  });
});
