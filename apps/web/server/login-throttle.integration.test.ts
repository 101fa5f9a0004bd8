import { stopTestServer } from '@fulcrum/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from './http-server';
import { type ApiServer, startApiServer } from './test-api-server';

let api: ApiServer;
let replica: RunningServer;
beforeAll(async () => {
  api = await startApiServer();
  // A second control-plane replica on the same database: the throttle must hold across both.
  replica = await startServer({ port: 0, host: '127.0.0.1', databaseUrl: api.db.url, apiOnly: true, log: () => {} });
});
afterAll(async () => {
  await replica.close();
  await api.close();
  await stopTestServer();
});

const login = (email: string, password: string, base = api.url) =>
  fetch(`${base}/api/trpc/auth.login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });

describe('sign-in throttling (issue 13, item 6)', () => {
  let failures = 0;

  it('blocks an account after 10 failed attempts, even for the right password, on every replica', async () => {
    for (let i = 0; i < 10; i++) {
      expect((await login('admin@example.com', `wrong ${i}`, i % 2 ? replica.url : api.url)).status).toBe(401);
      failures++;
    }
    for (const base of [api.url, replica.url]) {
      const blocked = await login('admin@example.com', 'long enough secret', base);
      expect(blocked.status).toBe(429);
      expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await blocked.json()) as { error: { message: string } }).error.message).toMatch(/too many failed sign-ins/);
    }
    // Other accounts are not locked by it.
    expect((await login('someone@example.com', 'wrong')).status).toBe(401);
    failures++;
  });

  it('treats an unknown account exactly like a known one (no enumeration through the throttle)', async () => {
    for (let i = 0; i < 9; i++) {
      expect((await login('someone@example.com', `wrong ${i}`)).status).toBe(401);
      failures++;
    }
    expect((await login('someone@example.com', 'wrong again')).status).toBe(429);
  });

  it('refuses sign-in inside a tRPC batch, and counts nothing for it', async () => {
    const inputs = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [String(i), { email: 'batch@example.com', password: `guess ${i}` }]));
    const res = await fetch(`${api.url}/api/trpc/${Array(5).fill('auth.login').join(',')}?batch=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(inputs) });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } }[];
    expect(body).toHaveLength(5);
    expect(body[0]!.error.message).toMatch(/cannot be batched/);
    const mixed = await fetch(`${api.url}/api/trpc/auth.status,auth.login?batch=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ 1: { email: 'batch@example.com', password: 'guess' } }),
    });
    expect(mixed.status).toBe(400);
    expect(await api.db.prisma.loginThrottle.count({ where: { key: { contains: 'batch@example.com' } } })).toBe(0);
  });

  it('blocks a client address after 50 failures, whatever accounts it tries', async () => {
    let n = 0;
    while (failures < 50) {
      expect((await login(`guess${n++}@example.com`, 'wrong')).status).toBe(401);
      failures++;
    }
    const res = await login(`fresh@example.com`, 'wrong');
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
  });
});
