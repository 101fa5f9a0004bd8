import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { defaultMaxConnections, prlimitAvailable, raiseFdLimit, readFdLimit } from './fd-limit';

const hasPrlimit = prlimitAvailable();

describe('descriptor limit', () => {
  const start = readFdLimit();
  const hard = start && typeof start.hard === 'number' ? start.hard : undefined;

  // Node raises the limit itself while starting, so this lowers it first to see prlimit raise it again.
  it.skipIf(!hasPrlimit || hard === undefined || hard <= 512)('raises a lowered soft limit to the hard limit with prlimit', () => {
    execFileSync('prlimit', ['--pid', String(process.pid), `--nofile=512:${hard}`]);
    expect(readFdLimit()).toEqual({ soft: 512, hard });
    const report = raiseFdLimit();
    expect(report.atStart).toEqual({ soft: 512, hard });
    expect(report.nofile).toEqual({ soft: hard, hard });
    expect(report.note).toBe(`soft limit raised from 512 to ${hard} with prlimit`);
  });

  it('keeps half the descriptors, less a reserve, for client connections', () => {
    expect(defaultMaxConnections({ soft: 20_000, hard: 20_000 })).toBe(9872);
    expect(defaultMaxConnections({ soft: 256, hard: 256 })).toBe(64);
    expect(defaultMaxConnections(null)).toBe(384);
  });
});
