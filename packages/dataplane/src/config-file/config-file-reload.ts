import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';

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

/**
 * Reloads on SIGHUP, as NGINX and HAProxy operators expect: the file is read again and goes
 * through the same validate-then-swap as a pushed snapshot, so a bad file is refused with the
 * reason while the running config keeps serving. Reloads never overlap: a SIGHUP during one
 * queues exactly one more.
 */
export function reloadOnSighup(file: string, apply: (raw: unknown) => Promise<string>, log: (line: string) => void): () => void {
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
