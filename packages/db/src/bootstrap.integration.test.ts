import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDatabase } from './bootstrap';
import { closePrisma, getPrisma } from './client';
import { startEmbeddedPostgres } from './embedded-postgres';
import { freePort } from './testing';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterAll(() => {
  children.forEach((c) => c.kill('SIGKILL'));
  for (const d of dirs) {
    // A failed test may leave a server orphaned by a killed fixture: stop it (immediate shutdown).
    const pidFile = path.join(d, 'pg', 'postmaster.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : 0;
    if (pid > 0 && isAlive(pid)) process.kill(pid, 'SIGQUIT');
    rmSync(d, { recursive: true, force: true });
  }
});

function tempDataDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  chmodSync(dir, 0o755); // as root, PostgreSQL runs as `postgres` and must enter it
  dirs.push(dir);
  return dir;
}

const poolRow = (name: string, drainTimeoutMs: number) => ({
  data: { name, drainTimeoutMs, hashKey: {}, healthCheck: {}, outlierDetection: {}, timeouts: {}, retries: {}, stickiness: {} },
});

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /s, '')
      .startsWith('Z');
  } catch {
    return false;
  }
}

/** Runs fixtures/hold-database.ts in its own Node process and resolves once it printed "ready". */
function holdDatabase(dataDir: string, port: number): Promise<ChildProcess> {
  const script = fileURLToPath(new URL('./fixtures/hold-database.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, dataDir, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    // Only bounds a hang: under load (average 40 on 2 cores) initdb plus a start took over 60 s.
    const timer = setTimeout(() => reject(new Error(`fixture not ready after 240 s: ${out}`)), 240_000);
    const onData = (b: Buffer) => {
      out += b.toString();
      if (out.includes('ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`fixture exited with ${code}: ${out}`));
    });
  });
}

describe('ensureDatabase with the embedded PostgreSQL', () => {
  it('keeps data across a stop and a start', async () => {
    const dataDir = tempDataDir('fulcrum-restart-');
    const pgPort = await freePort();

    const first = await ensureDatabase({ databaseUrl: null, dataDir, pgPort });
    expect(first.embedded).toBe(true);
    expect(first.appliedMigrations.length).toBeGreaterThan(0);
    await getPrisma(first.url).pool.create(poolRow('survivor', 18080));
    await closePrisma(first.url);
    await first.stop();

    // Second start: the cluster exists, so it is not initialised again, and nothing is pending.
    const second = await ensureDatabase({ databaseUrl: null, dataDir, pgPort });
    try {
      expect(second.appliedMigrations).toEqual([]);
      const pool = await getPrisma(second.url).pool.findUnique({ where: { name: 'survivor' } });
      expect(pool?.drainTimeoutMs).toBe(18080);
    } finally {
      await closePrisma(second.url);
      await second.stop();
    }
  });

  it('starts again after the process that owned it was killed', { timeout: 400_000 }, async () => {
    const dataDir = tempDataDir('fulcrum-crash-');
    const pgPort = await freePort();
    const child = await holdDatabase(dataDir, pgPort);

    // While its owner lives, a second server on the same data is refused with a clear error.
    await expect(startEmbeddedPostgres({ dataDir: path.join(dataDir, 'pg'), port: await freePort() })).rejects.toThrow(/in use by another running process/);

    const pidFile = path.join(dataDir, 'pg', 'postmaster.pid');
    const postmaster = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    // SIGKILL gives the owner no chance to stop PostgreSQL: it lives on, orphaned, with its pid file.
    expect(isAlive(postmaster)).toBe(true);
    expect(existsSync(pidFile)).toBe(true);

    const again = await ensureDatabase({ databaseUrl: null, dataDir, pgPort });
    try {
      expect(isAlive(postmaster)).toBe(false);
      const pool = await getPrisma(again.url).pool.findUnique({ where: { name: 'before-crash' } });
      expect(pool?.drainTimeoutMs).toBe(18081);
    } finally {
      await closePrisma(again.url);
      await again.stop();
    }
  });
});

describe('the embedded PostgreSQL password', () => {
  const canConnect = async (port: number, password: string) => {
    const { default: pgLib } = await import('pg');
    const client = new pgLib.Client({ host: '127.0.0.1', port, user: 'fulcrum', password, database: 'postgres' });
    try {
      await client.connect();
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  };

  it('is random, kept in the data folder (0600), and replaces the well-known one of an existing cluster', async () => {
    const dir = tempDataDir('fulcrum-pg-password-');
    const port = await freePort();
    const file = path.join(dir, 'pg-password');
    const first = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port });
    const password = readFileSync(file, 'utf8').trim();
    try {
      expect(password).toMatch(/^[0-9a-f]{48}$/);
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(first.url()).toContain(`:${password}@`);
      expect(await canConnect(port, 'fulcrum')).toBe(false);
      expect(await canConnect(port, password)).toBe(true);
      // As a cluster made before the password file existed: the well-known password, no file.
      const { default: pgLib } = await import('pg');
      const admin = new pgLib.Client({ host: '127.0.0.1', port, user: 'fulcrum', password, database: 'postgres' });
      await admin.connect();
      await admin.query(`ALTER ROLE fulcrum PASSWORD 'fulcrum'`);
      await admin.query('CREATE TABLE kept (v int)');
      await admin.end();
    } finally {
      await first.stop();
    }
    rmSync(file);

    const second = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port });
    try {
      const migrated = readFileSync(file, 'utf8').trim();
      expect(migrated).toMatch(/^[0-9a-f]{48}$/);
      expect(migrated).not.toBe(password);
      expect(existsSync(`${file}.new`)).toBe(false);
      expect(await canConnect(port, 'fulcrum')).toBe(false);
      expect(await canConnect(port, migrated)).toBe(true);
      expect(second.url()).toContain(`:${migrated}@`);
      const { default: pgLib } = await import('pg');
      const client = new pgLib.Client({ host: '127.0.0.1', port, user: 'fulcrum', password: migrated, database: 'postgres' });
      await client.connect();
      expect((await client.query(`SELECT to_regclass('kept') AS t`)).rows[0].t).toBe('kept');
      await client.end();
    } finally {
      await second.stop();
    }
  }, 400_000);
});
