import process from 'node:process';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const FILE = 'last-good-config.json';

/**
 * The last snapshot this data plane applied, on disk, so a restart while the control plane is
 * unreachable still serves. Written to a temporary file and renamed, so a crash mid-write never
 * leaves a torn file. It holds the private keys of the https listeners' certificates, so it is
 * readable by this user only (0600), in a folder only this user can enter (0700).
 */
export class LastGoodConfig {
  constructor(private readonly dir: string) {}

  save(snapshot: unknown): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const tmp = path.join(this.dir, `${FILE}.${process.pid}.tmp`);
    // The snapshot carries its secrets (database passwords, private keys): owner-only; the mode
    // applies when the file is created, so a leftover temporary file is tightened too.
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
