import { createTestDatabase, stopTestServer } from '@fulcrum/db/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer } from './http-server';

afterAll(async () => {
  await stopTestServer();
});

/** A control plane that trusts `trustedProxies`, with its first admin set up; `run` gets login(). */
async function withServer(trustedProxies: string, run: (login: (headers?: Record<string, string>) => Promise<string>) => Promise<void>): Promise<void> {
  const db = await createTestDatabase();
  const server = await startServer({ port: 0, host: '127.0.0.1', databaseUrl: db.url, apiOnly: true, log: () => {}, trustedProxies });
  try {
    const body = JSON.stringify({ email: 'admin@example.com', name: 'Admin', password: 'long enough secret' });
    const setup = await fetch(`${server.url}/api/trpc/auth.setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    expect(setup.status).toBe(200);
    await run(async (headers = {}) => {
      const res = await fetch(`${server.url}/api/trpc/auth.login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ email: 'admin@example.com', password: 'long enough secret' }),
      });
      expect(res.status).toBe(200);
      return res.headers.get('set-cookie') ?? '';
    });
  } finally {
    await server.close();
    await db.drop();
  }
}

describe('the session cookie', () => {
  it('is Secure when a trusted proxy says the request came over HTTPS, and only then', async () => {
    await withServer('127.0.0.1, 10.0.0.0/8', async (login) => {
      expect(await login({ 'x-forwarded-proto': 'https' })).toMatch(/^fulcrum_session=[^;]+;.*; Secure$/);
      // A proxy chain appends: the nearest (trusted) proxy's value is the last one.
      expect(await login({ 'x-forwarded-proto': 'http, https' })).toMatch(/; Secure$/);
      expect(await login({ 'x-forwarded-proto': 'https, http' })).not.toMatch(/Secure/);
      expect(await login()).not.toMatch(/Secure/);
      expect(await login()).toMatch(/HttpOnly; SameSite=Lax/);
    });
  }, 120_000);

  it('ignores X-Forwarded-Proto from a client that is not a trusted proxy', async () => {
    await withServer('10.0.0.0/8', async (login) => {
      expect(await login({ 'x-forwarded-proto': 'https' })).not.toMatch(/Secure/);
    });
  }, 120_000);
});
