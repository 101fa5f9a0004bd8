import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const webDir = path.join(repoRoot, 'apps/web');

/** Builds an artifact only when it is missing (`pnpm test` builds both before Playwright runs). */
function ensureBuilt(artifact: string, what: string, command: string, args: string[], cwd: string): void {
  if (existsSync(artifact)) return;
  console.log(`e2e: ${what} is missing; building it (${command} ${args.join(' ')})`);
  const r = spawnSync(command, args, { cwd, stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
  if (r.status !== 0) throw new Error(`building ${what} failed (${r.status ?? r.signal})`);
}

async function waitForHealth(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`control plane exited (${child.exitCode}):\n${output()}`);
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
 * The whole system as users run it: the production server with a fresh embedded PostgreSQL and
 * its local data plane (a separate process linked over WebSocket).
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  ensureBuilt(path.join(webDir, '.next/BUILD_ID'), 'the dashboard build', 'npx', ['next', 'build'], webDir);
  ensureBuilt(path.join(repoRoot, 'packages/dataplane/dist/fulcrum-dataplane.mjs'), 'the data plane bundle', 'pnpm', ['--filter', '@fulcrum/dataplane', 'build'], repoRoot);
  // Its three ports must be chosen before it starts; when another process took one meanwhile
  // (EADDRINUSE), start it again on others.
  for (let attempt = 1; ; attempt++) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-e2e-'));
    chmodSync(dataDir, 0o755);
    const port = await freePort();
    let output = '';
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      cwd: webDir,
      env: { ...process.env, NODE_ENV: 'production', PORT: String(port), HOST: '127.0.0.1', FULCRUM_DATA_DIR: dataDir, FULCRUM_PG_PORT: String(await freePort()), FULCRUM_ADMIN: `127.0.0.1:${await freePort()}`, DATABASE_URL: '', FULCRUM_STOP_DATAPLANE_ON_EXIT: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(dataDir, { recursive: true, force: true });
    };
    const url = `http://127.0.0.1:${port}`;
    try {
      await waitForHealth(url, child, () => output);
    } catch (err) {
      await stop();
      if (attempt >= 3 || !/EADDRINUSE|in use/.test(output)) throw err;
      continue;
    }
    process.env.FULCRUM_E2E_URL = url;
    return stop;
  }
}
