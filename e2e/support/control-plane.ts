import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const webDir = path.join(repoRoot, 'apps/web');

/** A running control plane: its URL and how to stop it (and its data plane, and remove its data). */
export interface ControlPlane {
  url: string;
  stop: () => Promise<void>;
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  // Only bounds a hang: on a loaded machine tsx, Next and initdb together take minutes.
  const deadline = Date.now() + 420_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`control plane exited (${child.exitCode ?? child.signalCode}):\n${output()}`);
    try {
      if ((await fetch(`${url}/api/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`control plane did not become healthy:\n${output()}`);
}

/**
 * The whole system as users run it: the production server (built beforehand) with a fresh
 * embedded PostgreSQL in a data folder of its own and its local data plane (a separate process
 * linked over WebSocket). Each call starts an independent one, so a test that needs a server
 * nobody else touched (the first-run setup page) starts its own.
 */
export async function startControlPlane(): Promise<ControlPlane> {
  // Its three ports must be chosen before it starts; when another process took one meanwhile
  // (EADDRINUSE), start it again on others.
  for (let attempt = 1; ; attempt++) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-e2e-'));
    chmodSync(dataDir, 0o755);
    const port = await freePort();
    let output = '';
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: webDir,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        PORT: String(port),
        HOST: '127.0.0.1',
        FULCRUM_DATA_DIR: dataDir,
        FULCRUM_PG_PORT: String(await freePort()),
        FULCRUM_ADMIN: `127.0.0.1:${await freePort()}`,
        DATABASE_URL: '',
        FULCRUM_STOP_DATAPLANE_ON_EXIT: '1',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d) => (output = (output + d).slice(-20_000)));
    child.stderr?.on('data', (d) => (output = (output + d).slice(-20_000)));
    // 'close' comes once its output is read to the end ('exit' can come before the reason it stopped).
    const closed = new Promise((r) => child.once('close', r));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    };
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForHealth(url, child, () => output);
    } catch (err) {
      await stop();
      // Bounded: a process that inherited its output could hold it open.
      await Promise.race([closed, new Promise((r) => setTimeout(r, 10_000).unref())]);
      if (attempt >= 3 || !/EADDRINUSE|in use/.test(output)) throw err;
      continue;
    }
    return { url, stop };
  }
}
