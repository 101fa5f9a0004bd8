// Bundles the data plane (with @fulcrum/protocol and zod) into one file that runs on plain
// Node, so it can be copied to any machine without the monorepo.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/cli.ts'],
  outfile: 'dist/fulcrum-dataplane.mjs',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  banner: { js: "import { createRequire as __fulcrumRequire } from 'node:module'; const require = __fulcrumRequire(import.meta.url);" },
  logLevel: 'warning',
});
