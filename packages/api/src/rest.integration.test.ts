import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestApi, startRestServer } from './test-support';

const api = useTestApi();
let rest: Awaited<ReturnType<typeof startRestServer>>;
let base: string;

beforeAll(async () => {
  rest = await startRestServer(api);
  base = rest.base;
});
afterAll(async () => {
  await rest.close();
});

describe('REST API for CI (plain HTTP with a bearer token)', () => {
  it('creates a pool and backends, reads them back, and names bad fields', async () => {
    const token = await api.token('operator');
    const call = (method: string, path: string, body?: unknown) =>
      fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

    const created = await call('POST', '/pools', { name: 'ci-web', listenPort: 18300, algorithm: 'least_connections', reason: 'from CI' });
    expect(created.status).toBe(200);
    const pool = (await created.json()) as { id: string; version: number };

    const backend = await call('POST', `/pools/ci-web/backends`, { host: '127.0.0.1', port: 9301, weight: 2 });
    expect(backend.status).toBe(200);
    const b = (await backend.json()) as { id: string; version: number };

    const got = await call('GET', `/pools/${pool.id}`);
    expect(((await got.json()) as { backends: unknown[] }).backends).toHaveLength(1);

    const bad = await call('POST', '/pools', { name: 'bad', listenPort: 99999 });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toMatch(/listenPort/);

    const badBackend = await call('POST', `/pools/ci-web/backends`, { host: '127.0.0.1', port: 9301 });
    expect(badBackend.status).toBe(400);
    expect(JSON.stringify(await badBackend.json())).toMatch(/already has a backend/);

    const drain = await call('PATCH', `/backends/${b.id}`, { expectedVersion: b.version, patch: { adminState: 'draining' } });
    expect(drain.status).toBe(200);
    const stale = await call('PATCH', `/backends/${b.id}`, { expectedVersion: b.version, patch: { weight: 9 } });
    expect(stale.status).toBe(409);

    expect((await call('GET', '/pools/does-not-exist')).status).toBe(404);
    const revisions = (await (await call('GET', '/revisions?limit=5')).json()) as { version: number; message: string }[];
    expect(revisions[revisions.length - 1]?.message).toBe('from CI');
    const diff = await call('GET', `/revisions/diff?from=1&to=${revisions[0]!.version}`);
    expect(diff.status).toBe(200);
  });

  it('refuses missing, unknown and under-privileged tokens', async () => {
    expect((await fetch(`${base}/pools`)).status).toBe(401);
    expect((await fetch(`${base}/pools`, { headers: { authorization: 'Bearer flc_nope' } })).status).toBe(401);
    const viewer = await api.token('viewer');
    const res = await fetch(`${base}/pools`, {
      method: 'POST',
      headers: { authorization: `Bearer ${viewer}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x', listenPort: 18399 }),
    });
    expect(res.status).toBe(403);
  });

  it('serves the OpenAPI document', async () => {
    const res = await fetch(`${base}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/pools', '/pools/{id}', '/pools/{poolId}/backends', '/backends/{id}', '/revisions/{version}/rollback']));
  });
});
