import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = path.dirname(fileURLToPath(import.meta.url));
const tsx = path.join(here, '..', 'node_modules', '.bin', 'tsx');

/** Runs a bench script with `args`; option errors come before any tool is looked for or started. */
function run(script: string, ...args: string[]) {
  const r = spawnSync(tsx, [path.join(here, script), ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('bench scripts refuse bad options with the usage, before running anything', () => {
  for (const script of ['run.ts', 'instructions.ts', 'access-log.ts', 'head-trickle.ts', 'paired.ts']) {
    it(script, () => {
      const unknown = run(script, '--bogus');
      expect(unknown.code).toBe(2);
      expect(unknown.err).toContain("Unknown option '--bogus'");
      expect(unknown.err).toContain('Usage: ');
      expect(unknown.err).not.toMatch(/\n\s+at /);

      for (const bad of ['0', 'x', '1.5', '-3']) {
        const rounds = run(script, `--rounds=${bad}`);
        expect(rounds.code).toBe(2);
        expect(rounds.err).toContain(`--rounds must be a whole number of at least 1, not "${bad}"`);
      }

      const help = run(script, '--help');
      expect(help.code).toBe(0);
      expect(help.out).toMatch(/^Usage: /);
    });
  }

  it('a baseline build that is not there is named', () => {
    for (const script of ['run.ts', 'instructions.ts', 'paired.ts']) {
      const r = run(script, '--baseline', '/nonexistent/fulcrum-dataplane.mjs');
      expect(r.code).toBe(2);
      expect(r.err).toContain('--baseline: no such file: /nonexistent/fulcrum-dataplane.mjs');
    }
    const none = run('paired.ts');
    expect(none.code).toBe(2);
    expect(none.err).toContain('one of --baseline or --nginx is required');
  });
});
