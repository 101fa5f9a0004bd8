import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const FILE = 'last-good-config.json';

/**
 * The last snapshot this data plane applied, on disk, so a restart while the control plane is
 * unreachable still serves. Written to a temporary file and renamed, so a crash mid-write never
 * leaves a torn file.
 */
export class LastGoodConfig {
  constructor(private readonly dir: string) {}

  save(snapshot: unknown): void {
    mkdirSync(this.dir, { recursive: true });
    const tmp = path.join(this.dir, `${FILE}.${process.pid}.tmp`);
    // The snapshot carries its secrets (database passwords, private keys): owner-only, even over a leftover temp file.
    writeFileSync(tmp, JSON.stringify(snapshot), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, path.join(this.dir, FILE));
  }

  load(): unknown | undefined {
    try {
      return JSON.parse(readFileSync(path.join(this.dir, FILE), 'utf8')) as unknown;
    } catch {
      return undefined;
    }
  }
}
