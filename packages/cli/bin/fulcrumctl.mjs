#!/usr/bin/env node
// Runs the bundle that `pnpm build` makes (dist/), or the TypeScript sources through tsx when
// there is no bundle or any of its inputs changed after it was made, so a stale bundle never runs.
import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function freshBundle() {
  try {
    const made = statSync(`${root}dist/fulcrumctl.mjs`).mtimeMs;
    const inputs = JSON.parse(readFileSync(`${root}dist/inputs.json`, 'utf8'));
    return inputs.every((file) => statSync(`${root}${file}`).mtimeMs <= made);
  } catch {
    return false;
  }
}

let main;
if (freshBundle()) ({ main } = await import('../dist/fulcrumctl.mjs'));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/main.ts'));
}
process.exitCode = await main(process.argv.slice(2));
