import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, startControlPlane, webDir } from './control-plane';

/** Builds an artifact only when it is missing (`pnpm test` builds both before Playwright runs). */
function ensureBuilt(artifact: string, what: string, command: string, args: string[], cwd: string): void {
  if (existsSync(artifact)) return;
  console.log(`e2e: ${what} is missing; building it (${command} ${args.join(' ')})`);
  const r = spawnSync(command, args, { cwd, stdio: 'inherit', env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' } });
  if (r.status !== 0) throw new Error(`building ${what} failed (${r.status ?? r.signal})`);
}

/**
 * The control plane the tests share. Tests never rely on what another test left in it: each
 * creates its own pools, backends and users (see fixtures.ts); a test that needs a server nobody
 * touched starts its own with startControlPlane().
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  ensureBuilt(path.join(webDir, '.next/BUILD_ID'), 'the dashboard build', 'npx', ['next', 'build'], webDir);
  ensureBuilt(path.join(repoRoot, 'packages/dataplane/dist/fulcrum-dataplane.mjs'), 'the data plane bundle', 'pnpm', ['--filter', '@fulcrum/dataplane', 'build'], repoRoot);
  const cp = await startControlPlane();
  process.env.FULCRUM_E2E_URL = cp.url;
  return cp.stop;
}
