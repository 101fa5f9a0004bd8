import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type Server, createServer, request } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiToken } from '@fulcrum/api';
import { type TestDatabase, createTestDatabase, freePort, stopTestServer } from '@fulcrum/db/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDataplanePaths, isRunning, readRecord, stopLocalDataplane } from './local-dataplane-process';
import { type TEventuallyResult, eventually as waitFor } from '@fulcrum/test-support';

// The control plane as `pnpm start` runs it (runControlPlane, its signal handling included),
// without Next; its local data plane runs the data plane's source through tsx.
const RUN = fileURLToPath(new URL('./run-control-plane.ts', import.meta.url));
const STOP = fileURLToPath(new URL('./stop.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../../../packages/dataplane/src/cli.ts', import.meta.url));

let db: TestDatabase;
let operator: string;
let port: number;
let env: NodeJS.ProcessEnv;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-local-dp-'));
const paths: LocalDataplanePaths = { pidFile: path.join(dataDir, 'dataplane.pid'), logFile: path.join(dataDir, 'dataplane.log'), stateDir: path.join(dataDir, 'dataplane'), entry: CLI };
const procs: ChildProcess[] = [];
const backends: Server[] = [];
/** Each test's own bound. */
const TEST_MS = 600_000;
/** Traffic a test started, stopped after it whatever happened. */
const loads: { stop(): Promise<void> }[] = [];

/** Polls until `check` gives a result; the 180 s bound only stops a hang. */
const eventually = <T extends TEventuallyResult>(what: string, check: () => Promise<T | null | undefined | false> | T | null | undefined | false, ms = 180_000) => waitFor(check, ms, what);

/** One `pnpm start` control plane on `port`, its output collected. */
function startControlPlane(): { proc: ChildProcess; output: () => string } {
  const code = `import { runControlPlane } from ${JSON.stringify(RUN)};
await runControlPlane({ apiOnly: true, dataplaneNodeArgs: ['--import', 'tsx'], dataplaneEntry: ${JSON.stringify(CLI)} });`;
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  return { proc, output: () => out };
}

/** Waits for `re` in a control plane's output; a hang quotes what it said. */
function waitForOutput(cp: ReturnType<typeof startControlPlane>, what: string, re: RegExp): Promise<RegExpExecArray> {
  return eventually(what, () => re.exec(cp.output())).catch((e) => {
    throw new Error(`${e}; control plane said: ${cp.output()}`);
  });
}

async function exited(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  await new Promise((r) => proc.once('exit', r));
}

async function rest(method: string, p: string, body?: unknown): Promise<never> {
  const res = await fetch(`http://127.0.0.1:${port}/api/v1${p}`, {
    method,
    headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
  return (await res.json()) as never;
}

async function backend(name: string): Promise<number> {
  const srv = createServer((_req, res) => res.end(name));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  backends.push(srv);
  return (srv.address() as { port: number }).port;
}

/** One request on a new connection through the data plane. */
function get(listenPort: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: listenPort, path: '/', agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Bounded traffic: a few clients in a loop until stopped, or past the test's own time bound (and a
 * count no run nears). A count alone (100,000 before) could run out on a fast machine before the
 * test was done, and traffic that has stopped would never see the new backend.
 */
function traffic(listenPort: number) {
  const tally = { ok: 0, failed: 0, errors: [] as string[], bodies: new Set<string>() };
  let running = true;
  const until = Date.now() + TEST_MS;
  const client = async () => {
    while (running && tally.ok + tally.failed < 10_000_000 && Date.now() < until) {
      try {
        tally.bodies.add(await get(listenPort));
        tally.ok++;
      } catch (err) {
        tally.failed++;
        if (tally.errors.length < 5) tally.errors.push((err as Error).message);
      }
    }
  };
  const done = Promise.all([client(), client(), client()]);
  const load = {
    tally,
    /** What the traffic has done so far, for a failure's message. */
    said: () => `traffic: ${tally.ok} ok, ${tally.failed} failed, ${running && Date.now() < until ? 'running' : 'stopped'}, backends seen: ${[...tally.bodies].join(', ')}`,
    /** Resolves once `n` more requests have succeeded. */
    more: (n: number) => {
      const target = tally.ok + n;
      return eventually(`${n} more requests`, () => tally.ok >= target);
    },
    stop: async () => {
      running = false;
      await done;
    },
  };
  loads.push(load);
  return load;
}

beforeAll(async () => {
  db = await createTestDatabase();
  operator = (await createApiToken(db.prisma, { name: 'ci', role: 'operator' })).token;
  port = await freePort();
  env = {
    ...process.env,
    DATABASE_URL: db.url,
    PORT: String(port),
    HOST: '127.0.0.1',
    FULCRUM_DATA_DIR: dataDir,
    FULCRUM_ADMIN: `127.0.0.1:${await freePort()}`,
    FULCRUM_EMBEDDED_DATAPLANE: '1',
    FULCRUM_STOP_DATAPLANE_ON_EXIT: '',
  };
});

/** What a test started is stopped after it, passed or failed: a control plane left running would hold the port the next test's needs. */
afterEach(async () => {
  await Promise.all(loads.splice(0).map((l) => l.stop()));
  const live = procs.splice(0).filter((p) => p.exitCode === null && p.signalCode === null);
  for (const p of live) p.kill('SIGKILL');
  await Promise.all(live.map(exited));
  await stopLocalDataplane(paths);
  for (const b of backends.splice(0)) b.close();
});

afterAll(async () => {
  await db.drop();
  await stopTestServer();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the local data plane of `pnpm start`', { timeout: TEST_MS }, () => {
  it('serves through SIGTERM and kill -9 of the control plane with 0 failed requests, is taken back by the next start, and stops only with pnpm stop', async () => {
    const cp1 = startControlPlane();
    const started = await waitForOutput(cp1, 'the first start', /local data plane started \(pid (\d+)/);
    const pid = Number(started[1]);
    expect(readRecord(paths.pidFile)?.pid).toBe(pid);

    const listenPort = await freePort();
    await rest('POST', '/pools', { name: 'local', listenHost: '127.0.0.1', listenPort, healthCheck: { enabled: false } });
    await rest('POST', '/pools/local/backends', { host: '127.0.0.1', port: await backend('one') });
    await eventually('traffic through the data plane', () => get(listenPort).then((b) => b === 'one')).catch((e) => {
      throw new Error(`${e}; data plane log: ${existsSync(paths.logFile) ? readFileSync(paths.logFile, 'utf8') : '(none)'}`);
    });

    const load = traffic(listenPort);
    await load.more(100);

    // A restart: SIGTERM. The control plane exits; its data plane keeps serving.
    cp1.proc.kill('SIGTERM');
    await exited(cp1.proc);
    // 'exit' can come before the last of its output is read.
    await waitForOutput(cp1, 'the SIGTERM notice', /the local data plane keeps serving/);
    expect(isRunning(pid)).toBe(true);
    await load.more(100);

    // The next start takes the same process back, and it links to the new control plane.
    const cp2 = startControlPlane();
    const back = await waitForOutput(cp2, 'the second start', /took back the local data plane \(pid (\d+)/);
    expect(Number(back[1])).toBe(pid);
    await eventually('the data plane linked again', async () => ((await rest('GET', '/dataplanes')) as { connected: boolean }[]).some((d) => d.connected));

    // A crash: kill -9. The data plane's output is its own log file, so no write can fail it;
    // it logs the lost link and its reconnect attempts, and keeps serving.
    const logBefore = readFileSync(paths.logFile, 'utf8').length;
    cp2.proc.kill('SIGKILL');
    await exited(cp2.proc);
    await eventually('the lost link logged', () =>
      readFileSync(paths.logFile, 'utf8')
        .slice(logBefore)
        .match(/link (closed|error)[\s\S]*link (closed|error)/),
    );
    await load.more(100);
    expect(isRunning(pid)).toBe(true);

    // Taken back again, and it follows a change made through the new control plane.
    const cp3 = startControlPlane();
    const third = await waitForOutput(cp3, 'the third start', /took back the local data plane \(pid (\d+)/);
    expect(Number(third[1])).toBe(pid);
    await rest('POST', '/pools/local/backends', { host: '127.0.0.1', port: await backend('two') });
    await eventually('the new backend served', () => load.tally.bodies.has('two')).catch((e) => {
      throw new Error(`${e}; ${load.said()}; control plane said: ${cp3.output().slice(-1500)}; data plane log: ${readFileSync(paths.logFile, 'utf8').slice(-2500)}`);
    });
    await load.stop();
    expect({ failed: load.tally.failed, errors: load.tally.errors }).toEqual({ failed: 0, errors: [] });
    expect(load.tally.ok).toBeGreaterThanOrEqual(400);
    console.log(`local data plane: ${load.tally.ok} requests through SIGTERM, kill -9 and two restarts of the control plane, ${load.tally.failed} failed`);

    // The control plane stops; only `pnpm stop` stops the data plane.
    cp3.proc.kill('SIGTERM');
    await exited(cp3.proc);
    expect(isRunning(pid)).toBe(true);
    const stop = spawn(process.execPath, ['--import', 'tsx', STOP], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let said = '';
    stop.stdout!.on('data', (d) => (said += d));
    stop.stderr!.on('data', (d) => (said += d));
    await exited(stop);
    // 'exit' can come before the last of its output is read.
    await eventually('pnpm stop saying so', () => /local data plane stopped/.test(said)).catch((e) => {
      throw new Error(`${e}; pnpm stop said: ${said}`);
    });
    expect(isRunning(pid)).toBe(false);
    expect(readRecord(paths.pidFile)).toMatchObject({ pid, stoppedAt: expect.any(String) });
    await expect(get(listenPort)).rejects.toThrow();
  });

  it('is replaced, not taken back, when its token was revoked; FULCRUM_STOP_DATAPLANE_ON_EXIT=1 stops it with the control plane', async () => {
    const cp1 = startControlPlane();
    const started = await waitForOutput(cp1, 'a start', /local data plane started \(pid (\d+)/);
    const first = readRecord(paths.pidFile)!;
    expect(first.pid).toBe(Number(started[1]));
    await eventually('linked', async () => ((await rest('GET', '/dataplanes')) as { connected: boolean }[]).some((d) => d.connected));
    cp1.proc.kill('SIGTERM');
    await exited(cp1.proc);

    await db.prisma.apiToken.update({ where: { id: first.tokenId }, data: { revokedAt: new Date() } });
    env = { ...env, FULCRUM_STOP_DATAPLANE_ON_EXIT: '1' };
    const cp2 = startControlPlane();
    const replaced = await waitForOutput(cp2, 'the replacement', /local data plane started \(pid (\d+)/);
    expect(cp2.output()).toMatch(new RegExp(`replacing the local data plane \\(pid ${first.pid}\\): its token is revoked`));
    const second = Number(replaced[1]);
    expect(second).not.toBe(first.pid);
    expect(isRunning(first.pid)).toBe(false);
    // The new token takes the data plane's id over from the revoked one.
    await eventually('linked again', async () => ((await rest('GET', '/dataplanes')) as { connected: boolean }[]).some((d) => d.connected)).catch((e) => {
      throw new Error(`${e}; data plane log: ${readFileSync(paths.logFile, 'utf8').slice(-1500)}`);
    });

    cp2.proc.kill('SIGTERM');
    await exited(cp2.proc);
    expect(isRunning(second)).toBe(false);
    expect(readRecord(paths.pidFile)).toMatchObject({ pid: second, stoppedAt: expect.any(String) });
  });
});
