import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiToken } from '@fulcrum/api';
import { getPrisma } from '@fulcrum/db';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const bundle = path.join(repoRoot, 'packages/dataplane/dist/fulcrum-dataplane.mjs');
const TOKEN_NAME = 'local data plane';

/**
 * The one data plane the README's first command runs beside the control plane, as its own
 * process (exactly as a remote one would run), with a fresh data-plane token each start.
 */
export async function startEmbeddedDataplane(opts: { controlPlanePort: number; stateDir: string; admin: string; log: (line: string) => void }): Promise<(() => void) | undefined> {
  if (!existsSync(bundle)) {
    opts.log(`no local data plane: ${bundle} is not built (pnpm --filter @fulcrum/dataplane build)`);
    return undefined;
  }
  const prisma = getPrisma();
  await prisma.apiToken.updateMany({ where: { name: TOKEN_NAME, revokedAt: null }, data: { revokedAt: new Date() } });
  const { token } = await createApiToken(prisma, { name: TOKEN_NAME, role: 'dataplane' });
  let child: ChildProcess | undefined;
  let stopping = false;
  const run = () => {
    child = spawn(
      process.execPath,
      [bundle, '--control-plane', `ws://127.0.0.1:${opts.controlPlanePort}/ws/dataplane`, '--name', 'local', '--state-dir', opts.stateDir, '--admin', opts.admin],
      { env: { ...process.env, FULCRUM_DATAPLANE_TOKEN: token }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const prefix = (d: Buffer) => d.toString().trimEnd().split('\n').forEach((l) => opts.log(`[data plane] ${l}`));
    child.stdout?.on('data', prefix);
    child.stderr?.on('data', prefix);
    child.on('exit', (code) => {
      if (stopping) return;
      opts.log(`[data plane] exited (${code}); restarting in 2 s`);
      setTimeout(run, 2000).unref();
    });
  };
  run();
  opts.log(`local data plane started (admin on ${opts.admin})`);
  return () => {
    stopping = true;
    child?.kill('SIGTERM');
  };
}
