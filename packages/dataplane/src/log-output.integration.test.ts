import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually, freePort } from './test-support';

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-dp-log-'));
let proc: ChildProcess | undefined;

afterAll(() => {
  if (proc && proc.exitCode === null) proc.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('a data plane whose log output is gone', () => {
  it('keeps running and counts the failed writes (EPIPE: the reader of its stdout was killed)', async () => {
    const dead = await freePort();
    const admin = await freePort();
    // Pointed at a control plane that is not there, it logs every reconnect attempt.
    proc = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, '--control-plane', `ws://127.0.0.1:${dead}/ws/dataplane`, '--token', 'flc_x', '--name', 'log-test', '--state-dir', dir, '--admin', `127.0.0.1:${admin}`],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    proc.stdout!.on('data', (d) => (out += d));
    proc.stderr!.on('data', (d) => (out += d));
    await eventually(() => out.includes('link'), 60_000);
    // As when the parent holding the pipes dies: the read ends close, and the next write fails.
    proc.stdout!.destroy();
    proc.stderr!.destroy();
    const health = await eventually(async () => {
      const h = (await (await fetch(`http://127.0.0.1:${admin}/health`)).json()) as { failedLogWrites: number };
      return h.failedLogWrites > 0 ? h : undefined;
    }, 60_000);
    expect(health.failedLogWrites).toBeGreaterThan(0);
    // Still serving its admin endpoint after more reconnect attempts (and more failed writes).
    const later = await eventually(async () => {
      const h = (await (await fetch(`http://127.0.0.1:${admin}/health`)).json()) as { failedLogWrites: number };
      return h.failedLogWrites > health.failedLogWrites ? h : undefined;
    }, 60_000);
    expect(later.failedLogWrites).toBeGreaterThan(health.failedLogWrites);
    expect(proc.exitCode).toBeNull();
  }, 150_000);
});
