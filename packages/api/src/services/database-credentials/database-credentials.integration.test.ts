import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, stopTestServer } from '@fulcrum/db/testing';
import { hasPostgres, psqlAsync, startPostgresPair } from '@fulcrum/dataplane/testing/databases';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SecretBox } from '../../secrets/secret-box';
import { controlPlaneSecrets } from '../../secrets/control-plane-secrets';
import { FULCRUMCTL, type SystemHarness, callAs, eventually, startSystem } from '../deploys/system-harness';
import { createApiToken } from '../tokens/api-tokens';

/**
 * Database credentials end to end: admin-written, sealed at rest, never in an API answer or a
 * stored revision, attached by the hub to the snapshot a data plane receives; a real data plane
 * process then keeps a `primary` and a `replicas` pool on the right PostgreSQL server.
 */

const PASSWORD = 'pg check pw 7c1e';
let sys: SystemHarness;
let pair: Awaited<ReturnType<typeof startPostgresPair>> | undefined;
const tokens = { admin: '', operator: '', viewer: '' };

beforeAll(async () => {
  sys = await startSystem();
  tokens.operator = sys.operatorToken;
  tokens.admin = (await createApiToken(sys.db.prisma, { name: 'admin', role: 'admin' })).token;
  tokens.viewer = (await createApiToken(sys.db.prisma, { name: 'viewer', role: 'viewer' })).token;
}, 240_000);
afterAll(async () => {
  await sys?.close();
  await pair?.cleanup();
  await stopTestServer();
});

const as = (who: keyof typeof tokens | 'nobody', method: string, p: string, body?: unknown) => callAs(sys.api, who === 'nobody' ? undefined : tokens[who], method, p, body);

describe('database credentials', () => {
  it('are written by admins only, sealed at rest, and no answer ever holds the password', async () => {
    const doc = (await as('nobody', 'GET', '/openapi.json')).json as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/credentials'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/credentials/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'put']);
    const body = { name: 'pg-check', user: 'checker', password: PASSWORD };
    expect((await as('nobody', 'GET', '/credentials')).status).toBe(401);
    expect((await as('operator', 'POST', '/credentials', body)).status).toBe(403);
    expect((await as('viewer', 'POST', '/credentials', body)).status).toBe(403);
    const created = await as('admin', 'POST', '/credentials', body);
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ name: 'pg-check', user: 'checker', usedBy: [], version: 1 });
    expect(created.text).not.toContain(PASSWORD);
    for (const who of ['admin', 'operator', 'viewer'] as const) {
      for (const p of ['/credentials', '/credentials/pg-check', `/credentials/${created.json.id}`]) {
        const r = await as(who, 'GET', p);
        expect(r.status).toBe(200);
        expect(r.text).toContain('pg-check');
        expect(r.text).not.toContain(PASSWORD);
      }
    }
    const row = await sys.db.prisma.databaseCredential.findUniqueOrThrow({ where: { id: created.json.id } });
    expect(SecretBox.isSealed(row.password)).toBe(true);
    expect(row.password).not.toContain(PASSWORD);
    expect(controlPlaneSecrets().open(row.password, `credential:${row.id}:password`)).toBe(PASSWORD);
    // Bound to its row: the sealed value copied into another credential does not open there.
    const other = await as('admin', 'POST', '/credentials', { name: 'other', user: 'u', password: 'x' });
    expect(() => controlPlaneSecrets().open(row.password, `credential:${other.json.id}:password`)).toThrow(/does not open/);
    expect((await as('admin', 'DELETE', `/credentials/${other.json.id}?expectedVersion=1`)).status).toBe(200);
  });

  it('refuse bad input naming the field', async () => {
    const empty = await as('admin', 'POST', '/credentials', { name: 'x', user: 'u', password: '' });
    expect(empty.status).toBe(400);
    expect(empty.text).toContain('password must not be empty');
    const nul = await as('admin', 'POST', '/credentials', { name: 'y', user: 'a\u0000b', password: 'p' });
    expect(nul.status).toBe(400);
    expect(nul.text).toContain('user must not contain control characters');
    const extra = await as('admin', 'POST', '/credentials', { name: 'z', user: 'u', password: 'p', hasPassword: true });
    expect(extra.status).toBe(400);
    const taken = await as('admin', 'POST', '/credentials', { name: 'pg-check', user: 'u', password: 'p' });
    expect(taken.status).toBe(400);
    expect(taken.text).toContain('a database credential with this name already exists');
    const pool = await as('operator', 'POST', '/pools', {
      name: 'no-cred',
      protocol: 'tcp',
      listenHost: '127.0.0.1',
      listenPort: await freePort(),
      healthCheck: { type: 'postgres', database: { role: 'primary', user: 'u', credentialId: 'nope' } },
    });
    expect(pool.status, pool.text).toBe(400);
    expect(pool.json.data.fieldErrors).toMatchObject({ 'healthCheck.database.credentialId': [expect.stringContaining('no database credential nope')] });
  });

  it('are managed with fulcrumctl credentials, the password read from a file, never printed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-cred-cli-'));
    try {
      const file = path.join(dir, 'pw');
      writeFileSync(file, 'cli secret 93ab\n', { mode: 0o600 });
      const ctl = (...args: string[]) => sys.run([FULCRUMCTL, '--url', sys.url, '--token', tokens.admin, 'credentials', ...args]);
      const created = await ctl('create', 'cli-db', '--user', 'reader', '--password-file', file);
      expect(created, created.stderr).toMatchObject({ code: 0 });
      expect(created.stdout).toMatch(/added database credential cli-db \(id \S+\)/);
      const row = await sys.db.prisma.databaseCredential.findUniqueOrThrow({ where: { name: 'cli-db' } });
      expect(controlPlaneSecrets().open(row.password, `credential:${row.id}:password`)).toBe('cli secret 93ab');
      const list = await ctl('list');
      expect(list.stdout).toMatch(/cli-db\s+\S+\s+reader\s+-/);
      writeFileSync(file, 'rotated 5d2f\n');
      expect((await ctl('update', 'cli-db', '--password-file', file)).stdout).toContain('saved database credential cli-db (version 2)');
      const after = await sys.db.prisma.databaseCredential.findUniqueOrThrow({ where: { name: 'cli-db' } });
      expect(controlPlaneSecrets().open(after.password, `credential:${row.id}:password`)).toBe('rotated 5d2f');
      const shown = await ctl('show', 'cli-db', '--json');
      expect(shown.stdout).not.toContain('rotated');
      expect((await ctl('create', 'no-pw', '--user', 'u')).stderr).toContain('--password-file is required');
      expect((await ctl('delete', 'cli-db')).stdout).toContain('deleted database credential cli-db');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!hasPostgres())('reach a real data plane with the snapshot only, which then routes the primary and replicas pools to the right servers', async () => {
    pair = await startPostgresPair();
    pair.primary.sql(`create role checker login password '${PASSWORD}'`);
    await eventually(() => pair!.replica.sql("select count(*) from pg_roles where rolname = 'checker'").trim() === '1', 60_000);
    const credential = (await as('admin', 'GET', '/credentials/pg-check')).json as { id: string; version: number };
    const ports = { primary: await freePort(), replicas: await freePort() };
    const poolIds: Record<string, string> = {};
    for (const [name, role] of [
      ['primary', 'primary'],
      ['replicas', 'replica'],
    ] as const) {
      const created = await as('operator', 'POST', '/pools', {
        name,
        protocol: 'tcp',
        listenHost: '127.0.0.1',
        listenPort: ports[name],
        healthCheck: { type: 'postgres', intervalMs: 500, timeoutMs: 3000, rise: 1, fall: 1, database: { role, user: 'checker', database: 'postgres', credentialId: credential.id } },
      });
      expect(created.status, created.text).toBe(200);
      poolIds[name] = created.json.id;
      for (const server of [pair.primary, pair.replica]) expect((await as('operator', 'POST', `/pools/${created.json.id}/backends`, { host: '127.0.0.1', port: server.port })).status).toBe(200);
    }
    const dataplane = await sys.startDataplane('db-edge');
    const stateDir = dataplane.spawnargs[dataplane.spawnargs.indexOf('--state-dir') + 1]!;
    await eventually(
      async () => (await psqlAsync(ports.primary, 'select pg_is_in_recovery()')) === 'f' && (await psqlAsync(ports.replicas, 'select pg_is_in_recovery()')) === 't',
      90_000,
      'the pools routing to their servers',
    );
    // Reads through the replicas pool, writes through the primary pool.
    expect(await psqlAsync(ports.primary, 'create table t (x int); insert into t values (1); select count(*) from t')).toBe('1');
    expect(await psqlAsync(ports.replicas, 'insert into t values (2)')).toMatch(/read-only transaction/);

    // Rotating the password: on the server first (the checks now fail and the pool has no backend),
    // then in the credential, whose revision carries the new password to the data plane.
    pair.primary.sql("alter role checker password 'rotated pw'");
    await eventually(async () => (await psqlAsync(ports.primary, 'select 1')).startsWith('error'), 60_000, 'the primary pool dropping its server after the password changed');
    const before = (await as('admin', 'GET', '/credentials/pg-check')).json as { id: string; version: number };
    const rotated = await as('admin', 'PUT', `/credentials/${before.id}`, { name: 'pg-check', user: 'checker', password: 'rotated pw', expectedVersion: before.version });
    expect(rotated.status, rotated.text).toBe(200);
    expect(rotated.text).not.toContain('rotated pw');
    await eventually(async () => (await psqlAsync(ports.primary, 'select pg_is_in_recovery()')) === 'f', 60_000, 'the primary pool back once the credential has the new password');

    const used = await as('viewer', 'GET', '/credentials/pg-check');
    expect(used.json.usedBy).toEqual(['primary', 'replicas']);
    const busy = await as('admin', 'DELETE', `/credentials/${credential.id}?expectedVersion=${used.json.version}`);
    expect(busy.status).toBe(409);
    expect(busy.text).toContain('used by the health check of pool(s) primary, replicas');

    // The password went to the data plane only: not into stored revisions; the data plane's copy is owner-only.
    const revisions = await sys.db.prisma.configRevision.findMany({ orderBy: { version: 'asc' } });
    expect(revisions.at(-1)?.message).toBe('new password for database credential pg-check, used by pool(s) primary, replicas');
    for (const secret of [PASSWORD, 'rotated pw']) expect(JSON.stringify(revisions.map((r) => r.snapshot))).not.toContain(secret);
    const file = path.join(stateDir, readdirSync(stateDir).find((f) => f.endsWith('.json'))!);
    expect(readFileSync(file, 'utf8')).toContain('rotated pw');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
