import process from 'node:process';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { ApplyResult } from '../dataplane';

/** What reading a config file gave: the parsed JSON, or why it could not be read. */
export type ConfigFileRead = { ok: true; raw: unknown } | { ok: false; error: string };

/**
 * Reads and parses a `--config` file; a missing, unreadable or non-JSON file is a reason, never a
 * throw. The snapshot's `hash` becomes the file's own digest: the data plane skips a snapshot whose
 * hash it runs, so an edited file whose author kept the old hash must still be applied.
 */
export async function readConfigFile(file: string): Promise<ConfigFileRead> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    return { ok: false, error: `${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` };
  }
  try {
    const raw = JSON.parse(text) as unknown;
    const hash = `file-sha256:${createHash('sha256').update(text).digest('hex')}`;
    return { ok: true, raw: raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? { ...raw, hash } : raw };
  } catch (err) {
    return { ok: false, error: `${file}: not JSON (${(err as Error).message})` };
  }
}

/** What a reload drives: one Dataplane or a cluster's primary. */
export interface ReloadTarget {
  readonly version: number | null;
  applySnapshot(raw: unknown): Promise<ApplyResult>;
}

/**
 * Reloads on SIGHUP, as NGINX and HAProxy operators expect: the file is read again and goes
 * through the same validate-then-swap as a pushed snapshot, so a bad file is refused with the
 * reason while the running config keeps serving. Reloads never overlap: a SIGHUP during one
 * queues exactly one more. Registered before the first config applies, so an early SIGHUP
 * never takes its default action (ending the process).
 */
export function reloadOnSighup(file: string, target: ReloadTarget, serving: () => string, log: (line: string) => void): () => void {
  const apply = async (raw: unknown): Promise<string> => {
    const r = await target.applySnapshot(raw);
    if (!r.ok) return `reload refused: ${r.error}; still serving config ${target.version}`;
    if (r.skipped) return `reload: ${file} is unchanged; serving config ${r.version}`;
    const refused = r.refused.map((p) => `${p.pool}: ${p.error}`).join('; ');
    return `reloaded ${file}: serving config ${r.version}: ${serving()}${refused ? ` (refused pools: ${refused})` : ''}`;
  };
  let running: Promise<void> | undefined;
  let again = false;
  const run = async (): Promise<void> => {
    do {
      again = false;
      const read = await readConfigFile(file);
      log(read.ok ? await apply(read.raw) : `reload refused: ${read.error}`);
    } while (again);
    running = undefined;
  };
  const onHup = () => {
    if (running) again = true;
    else running = run();
  };
  process.on('SIGHUP', onHup);
  return () => process.off('SIGHUP', onHup);
}
