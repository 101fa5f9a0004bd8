// Runs `prisma generate` offline. The Prisma CLI insists on a native schema-engine binary that it
// would download from outside npm; generate itself runs on wasm, so any existing file satisfies
// the check.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const env = {
  ...process.env,
  PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
  CHECKPOINT_DISABLE: '1',
  PRISMA_HIDE_UPDATE_MESSAGE: '1',
};
const prismaBin = path.join(root, 'packages/db/node_modules/.bin/prisma');
const r = spawnSync(prismaBin, ['generate', '--config', path.join(root, 'prisma.config.ts')], { cwd: root, env, stdio: 'inherit' });
process.exit(r.status ?? 1);
