import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const pkg = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrumctl-bin-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A package laid out like this one: the real launcher, a stand-in bundle and stand-in sources that say which ran. */
function layout() {
  for (const d of ['bin', 'dist', 'src']) mkdirSync(path.join(dir, d), { recursive: true });
  copyFileSync(path.join(pkg, 'bin/fulcrumctl.mjs'), path.join(dir, 'bin/fulcrumctl.mjs'));
  symlinkSync(path.join(pkg, 'node_modules'), path.join(dir, 'node_modules'));
  copyFileSync(path.join(pkg, 'package.json'), path.join(dir, 'package.json'));
  writeFileSync(path.join(dir, 'src/main.ts'), "export async function main(args: string[]): Promise<number> { console.log('sources', args.join(' ')); return 3; }\n");
  writeFileSync(path.join(dir, 'dist/fulcrumctl.mjs'), "export async function main(args) { console.log('bundle', args.join(' ')); return 4; }\n");
  writeFileSync(path.join(dir, 'dist/inputs.json'), JSON.stringify(['src/main.ts']));
}

function setMtime(file: string, seconds: number) {
  utimesSync(path.join(dir, file), seconds, seconds);
}

function run(): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [path.join(dir, 'bin/fulcrumctl.mjs'), 'pools', 'list'], (_err, stdout) => resolve({ code: child.exitCode, stdout }));
  });
}

describe('bin/fulcrumctl.mjs', () => {
  it('runs the bundle only while no input of it is newer, and the sources through tsx otherwise', async () => {
    layout();
    setMtime('src/main.ts', 1_000_000);
    setMtime('dist/fulcrumctl.mjs', 2_000_000);
    expect(await run()).toEqual({ code: 4, stdout: 'bundle pools list\n' });

    setMtime('src/main.ts', 3_000_000); // edited after the build
    expect(await run()).toEqual({ code: 3, stdout: 'sources pools list\n' });

    setMtime('src/main.ts', 1_000_000);
    writeFileSync(path.join(dir, 'dist/inputs.json'), JSON.stringify(['src/main.ts', 'src/gone.ts'])); // an input no longer there
    expect(await run()).toEqual({ code: 3, stdout: 'sources pools list\n' });

    rmSync(path.join(dir, 'dist'), { recursive: true }); // never built
    expect(await run()).toEqual({ code: 3, stdout: 'sources pools list\n' });
  });
});
