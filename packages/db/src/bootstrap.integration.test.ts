import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDatabase } from './bootstrap';
import { closePrisma, getPrisma } from './client';
import { freePort } from './testing';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('ensureDatabase with the embedded PostgreSQL', () => {
  it('keeps data across a stop and a start', async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-restart-'));
    chmodSync(dataDir, 0o755); // as root, PostgreSQL runs as `postgres` and must enter it
    dirs.push(dataDir);
    const pgPort = await freePort();

    const first = await ensureDatabase({ databaseUrl: undefined, dataDir, pgPort });
    expect(first.embedded).toBe(true);
    expect(first.appliedMigrations.length).toBeGreaterThan(0);
    await getPrisma(first.url).pool.create({
      data: { name: 'survivor', listenPort: 18080, hashKey: {}, healthCheck: {}, outlierDetection: {}, timeouts: {}, retries: {}, stickiness: {} },
    });
    await closePrisma(first.url);
    await first.stop();

    // Second start: the cluster exists, so it is not initialised again, and nothing is pending.
    const second = await ensureDatabase({ databaseUrl: undefined, dataDir, pgPort });
    try {
      expect(second.appliedMigrations).toEqual([]);
      const pool = await getPrisma(second.url).pool.findUnique({ where: { name: 'survivor' } });
      expect(pool?.listenPort).toBe(18080);
    } finally {
      await closePrisma(second.url);
      await second.stop();
    }
  });
});
