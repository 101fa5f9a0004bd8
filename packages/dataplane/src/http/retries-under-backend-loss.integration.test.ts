import { type ChildProcess, spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane } from '../dataplane';
import { freePort, snapshotFor } from '../test-support';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A backend in its own process, so it can be killed outright (SIGKILL) as a crashed server would be. */
async function backendProcess(name: string): Promise<{ port: number; proc: ChildProcess }> {
  const source = `
    const http = require('node:http');
    const s = http.createServer((req, res) => { req.resume(); res.end(${JSON.stringify(name)}); });
    s.keepAliveTimeout = 5000;
    s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;
  const proc = spawn(process.execPath, ['-e', source], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => void proc.kill('SIGKILL'));
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim())));
    proc.once('exit', () => reject(new Error(`${name} exited`)));
  });
  return { port, proc };
}

/** `total` GETs, `concurrency` at a time over keep-alive connections; `at(n)` runs once n have completed. */
async function load(port: number, total: number, concurrency: number, at: { n: number; fn: () => void }) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const statuses: Record<string, number> = {};
  let sent = 0;
  let done = 0;
  const one = () =>
    new Promise<void>((resolve) => {
      const r = request({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
        res.resume();
        res.on('end', () => {
          statuses[res.statusCode!] = (statuses[res.statusCode!] ?? 0) + 1;
          resolve();
        });
      });
      r.setTimeout(20_000, () => r.destroy(new Error('timeout')));
      r.on('error', (err) => {
        statuses[err.message] = (statuses[err.message] ?? 0) + 1;
        resolve();
      });
      r.end();
    });
  const worker = async () => {
    while (sent < total) {
      sent++;
      await one();
      if (++done === at.n) at.fn();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  agent.destroy();
  return statuses;
}

describe('retries when a backend dies under load', () => {
  // On 253dd09 a run failed ~20 of 10k: requests in flight on the killed backend were reset before
  // any byte of an answer, and their retries were refused by the budget (10 at once at most).
  it('kills one of three backends mid-run: every idempotent request still succeeds', { timeout: 240_000 }, async () => {
    for (let run = 0; run < 2; run++) {
      const backends = await Promise.all(['a', 'b', 'c'].map(backendProcess));
      const port = await freePort();
      const dp = new Dataplane();
      const snapshot = snapshotFor(
        port,
        backends.map((b, i) => ({ name: 'abc'[i]!, port: b.port })),
        // The defaults, spelled out: two retries, a 20 % budget, passive ejection on.
        { retries: { attempts: 2, on5xx: false, budgetPercent: 20 } },
      );
      expect((await dp.applySnapshot(snapshot)).ok).toBe(true);
      const statuses = await load(port, 5_000, 64, { n: 1_000, fn: () => backends[1]!.proc.kill('SIGKILL') });
      await dp.stop();
      expect(statuses).toEqual({ 200: 5_000 });
      for (const b of backends) b.proc.kill('SIGKILL');
    }
  });
});
