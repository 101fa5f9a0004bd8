import { spawnSync } from 'node:child_process';

/** Whether Debian's `promtool` (package prometheus) is on PATH; tests that need it skip without it, CI installs it. */
export function hasPromtool(): boolean {
  return spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
}

/** Runs `promtool check metrics` on an exposition; returns its complaints (empty when clean). */
export function promtoolCheck(text: string): string {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 30_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() + (r.status === 0 ? '' : `\n(exit ${r.status})`);
}
