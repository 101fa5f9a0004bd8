import { stopTestServer } from '@fulcrum/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, type ApiServer, INTERNAL_TEXT, startApiServer } from './test-api-server';

let api: ApiServer;
beforeAll(async () => {
  api = await startApiServer();
});
afterAll(async () => {
  await api.close();
  await stopTestServer();
});

const messageOf = (a: Answer) => (a.json as { message?: string; error?: { message?: string } }).message ?? (a.json as { error: { message: string } }).error.message;
const fieldsOf = (a: Answer) =>
  Object.keys(
    (a.json as { data?: { fieldErrors?: object }; error?: { data: { fieldErrors: object } } }).data?.fieldErrors ??
      (a.json as { error: { data: { fieldErrors: object } } }).error.data.fieldErrors ??
      {},
  );
const revisionCount = async () => api.db.prisma.configRevision.count();

describe('strict input (issue 13, item 3)', () => {
  const wrong = [true, '0x4650', [18062], '1e3', null, '', [], '18062', { port: 1 }];

  it('refuses wrong types instead of coercing them, over REST and tRPC alike, naming the field first', async () => {
    for (const listenPort of wrong) {
      const rest = await api.rest('POST', '/pools', { name: 'coerced', listenPort });
      expect(rest.status, `REST listenPort=${JSON.stringify(listenPort)}`).toBe(400);
      expect(messageOf(rest)).toMatch(/^listenPort: /);
      const trpc = await api.trpc('pools.create', { name: 'coerced', listenPort });
      expect(trpc.status, `tRPC listenPort=${JSON.stringify(listenPort)}`).toBe(400);
      expect(messageOf(trpc)).toMatch(/^listenPort: /);
    }
    expect(await api.db.prisma.pool.count()).toBe(0);
  });

  it('refuses unknown fields with 400 naming them, at the top and nested', async () => {
    const top = await api.rest('POST', '/pools', { name: 'typo', listenPort: 18601, listenport: 1 });
    expect(top.status).toBe(400);
    expect(messageOf(top)).toMatch(/listenport/);
    const nested = await api.trpc('pools.create', { name: 'typo', listenPort: 18601, healthCheck: { pathh: '/x' } });
    expect(nested.status).toBe(400);
    expect(messageOf(nested)).toMatch(/^healthCheck: .*pathh/);
    expect(fieldsOf(nested)).toEqual(['healthCheck']);
    const inPath = await api.rest('POST', '/pools/anything/backends', { poolId: 'other', host: '127.0.0.1', port: 9 });
    expect(inPath.status).toBe(400);
    expect(messageOf(inPath)).toMatch(/^poolId: /);
    expect(await api.db.prisma.pool.count()).toBe(0);
  });

  it('reads query and path parameters strictly', async () => {
    expect((await api.rest('GET', '/revisions?limit=5')).status).toBe(200);
    for (const limit of ['0x10', '1e1', '', '5abc', ' 5']) {
      const res = await api.rest('GET', `/revisions?limit=${encodeURIComponent(limit)}`);
      expect(res.status, `limit=${limit}`).toBe(400);
      expect(messageOf(res)).toMatch(/^limit: /);
    }
    const unknown = await api.rest('GET', '/revisions?limt=5');
    expect(unknown.status).toBe(400);
    expect(messageOf(unknown)).toMatch(/limt/);
    const rollback = await api.rest('POST', '/revisions/0x1/rollback', {});
    expect(rollback.status).toBe(400);
    expect(messageOf(rollback)).toMatch(/^version: /);
  });

  it('writes no revision for an empty or no-op patch, and answers the current version', async () => {
    const pool = (await api.rest('POST', '/pools', { name: 'noop', listenPort: 18602 })).json as { id: string; version: number };
    const before = await revisionCount();
    for (const patch of [{}, { listenPort: 18602 }, { algorithm: 'round_robin', healthCheck: { path: '/' } }]) {
      const res = await api.rest('PATCH', `/pools/${pool.id}`, { expectedVersion: pool.version, patch });
      expect(res.status).toBe(200);
      expect((res.json as { version: number }).version).toBe(pool.version);
    }
    const backend = (await api.rest('POST', `/pools/${pool.id}/backends`, { host: '127.0.0.1', port: 9402 })).json as { id: string; version: number };
    const afterBackend = await revisionCount();
    const same = await api.rest('PATCH', `/backends/${backend.id}`, { expectedVersion: backend.version, patch: { weight: 1 } });
    expect((same.json as { version: number }).version).toBe(backend.version);
    expect(await revisionCount()).toBe(afterBackend);
    expect(afterBackend).toBe(before + 1);
    // A real change still writes one.
    const changed = await api.rest('PATCH', `/pools/${pool.id}`, { expectedVersion: pool.version, patch: { algorithm: 'p2c' } });
    expect((changed.json as { version: number }).version).toBe(pool.version + 1);
    expect(await revisionCount()).toBe(afterBackend + 1);
  });

  it('takes expectedVersion on rollback: a stale retry does not overwrite the current config', async () => {
    const latest = () => api.db.prisma.configRevision.findFirstOrThrow({ orderBy: { version: 'desc' } });
    const target = (await latest()).version;
    await api.rest('POST', '/pools', { name: 'after-rollback-target', listenPort: 18603 });
    const seen = (await latest()).version;
    await api.rest('POST', '/pools', { name: 'someone-else', listenPort: 18604 });
    const stale = await api.rest('POST', `/revisions/${target}/rollback`, { expectedVersion: seen });
    expect(stale.status).toBe(409);
    expect(await api.db.prisma.pool.findUnique({ where: { name: 'someone-else' } })).not.toBeNull();
    const current = (await latest()).version;
    const ok = await api.rest('POST', `/revisions/${target}/rollback`, { expectedVersion: current });
    expect(ok.status).toBe(200);
    // Rolling back to what is already current writes nothing and answers the current revision.
    const now = (await latest()).version;
    const again = await api.rest('POST', `/revisions/${target}/rollback`, { expectedVersion: now });
    expect((again.json as { version: number }).version).toBe(now);
    expect((await latest()).version).toBe(now);
  });
});

describe('plain bad input answers 400, never 500 (item 4)', () => {
  it('refuses NUL bytes in stored strings, naming the field', async () => {
    const cases: [string, Answer][] = [
      ['name', await api.rest('POST', '/pools', { name: 'nul\u0000', listenPort: 18610 })],
      ['reason', await api.rest('POST', '/pools', { name: 'nul', listenPort: 18610, reason: 'why\u0000' })],
      ['versionLabel', await api.rest('POST', '/pools/noop/backends', { host: '127.0.0.1', port: 9410, versionLabel: 'v\u00001' })],
      ['name', await api.trpc('tokens.create', { name: 'ci\u0000', role: 'viewer' })],
      ['name', await api.trpc('users.create', { email: 'n@example.com', name: 'N\u0000', password: 'long enough secret', role: 'viewer' })],
    ];
    for (const [field, res] of cases) {
      expect(res.status, res.text).toBe(400);
      expect(messageOf(res)).toMatch(new RegExp(`^${field}: `));
      expect(res.text).not.toMatch(INTERNAL_TEXT);
    }
  });

  it('bounds integers to the database range', async () => {
    const pool = (await api.rest('GET', '/pools/noop')).json as { id: string };
    for (const expectedVersion of [2 ** 31, 2 ** 53, -(2 ** 31) - 1]) {
      const res = await api.rest('PATCH', `/pools/${pool.id}`, { expectedVersion, patch: { algorithm: 'random' } });
      expect(res.status).toBe(400);
      expect(messageOf(res)).toMatch(/^expectedVersion: /);
    }
    const del = await api.rest('DELETE', `/pools/${pool.id}?expectedVersion=${2 ** 31}`);
    expect(del.status).toBe(400);
    const list = await api.rest('GET', `/revisions?beforeVersion=${2 ** 31}`);
    expect(list.status).toBe(400);
  });

  it('refuses 5,000-deep JSON on both faces before parsing it', async () => {
    const deep = `{"name":"deep","listenPort":18611,"x":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const rest = await api.send('POST', '/api/v1/pools', deep, { 'content-type': 'application/json', authorization: `Bearer ${api.operatorToken}` });
    const trpc = await api.send('POST', '/api/trpc/pools.create', deep, { 'content-type': 'application/json', cookie: api.adminCookie });
    const query = await api.send('GET', `/api/trpc/pools.get?input=${encodeURIComponent('['.repeat(2000) + ']'.repeat(2000))}`, undefined, { cookie: api.adminCookie });
    for (const res of [rest, trpc, query]) {
      expect(res.status).toBe(400);
      expect(res.text).toMatch(/nested deeper/);
    }
  });

  it('answers unexpected errors with a generic body and a request id; details only in the log', async () => {
    // A pool row the API cannot answer with (changed by hand): the call fails, generically.
    await api.rest('POST', '/pools', { name: 'broken' });
    await api.db.prisma.$executeRawUnsafe(`UPDATE "Pool" SET "algorithm" = 'not an algorithm!' WHERE name = 'broken'`);
    const res = await api.rest('GET', '/pools/broken');
    await api.db.prisma.pool.delete({ where: { name: 'broken' } });
    expect(res.status).toBe(500);
    expect(res.text).not.toMatch(INTERNAL_TEXT);
    const { message, data } = res.json as { message: string; data: { requestId: string } };
    expect(message).toBe(`internal error (request ${data.requestId})`);
    expect(api.logs.find((l) => l.includes(data.requestId))).toMatch(/algorithm/);
  });
});

describe('body limits (item 5)', () => {
  it('refuses oversized bodies with 413 before reading them, on /api/trpc and /api/v1', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 'a');
    for (const path of ['/api/trpc/auth.login', '/api/v1/pools']) {
      const res = await api.send('POST', path, big, { 'content-type': 'application/json' });
      expect(res.status, path).toBe(413);
      expect(messageOf(res)).toMatch(/larger than 1048576 bytes/);
    }
  });

  it('caps the password length at sign-in', async () => {
    const res = await api.send('POST', '/api/trpc/auth.login', JSON.stringify({ email: 'admin@example.com', password: 'x'.repeat(1025) }), { 'content-type': 'application/json' });
    expect(res.status).toBe(400);
    expect(messageOf(res)).toMatch(/^password: /);
  });
});

describe('a malformed session cookie is ignored (item 7)', () => {
  it('still serves bearer tokens, sign-in and public calls', async () => {
    for (const cookie of ['fulcrum_session=%', 'fulcrum_session=%E0%A4%A', `fulcrum_session=%; ${api.adminCookie}`]) {
      const bearer = await api.send('GET', '/api/v1/pools', undefined, { cookie, authorization: `Bearer ${api.operatorToken}` });
      expect(bearer.status, `${cookie} ${bearer.text}`).toBe(200);
      const status = await api.send('GET', '/api/trpc/auth.status', undefined, { cookie });
      expect(status.status, cookie).toBe(200);
    }
    const login = await api.send('POST', '/api/trpc/auth.login', JSON.stringify({ email: 'admin@example.com', password: 'long enough secret' }), {
      'content-type': 'application/json',
      cookie: 'fulcrum_session=%',
    });
    expect(login.status).toBe(200);
  });
});
