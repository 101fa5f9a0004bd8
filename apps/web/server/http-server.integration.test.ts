import { connect } from 'node:net';
import { createTestDatabase, stopTestServer } from '@fulcrum/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from './http-server';

let running: RunningServer;
let dropDb: () => Promise<void>;

beforeAll(async () => {
  const db = await createTestDatabase();
  dropDb = db.drop;
  running = await startServer({ port: 0, host: '127.0.0.1', databaseUrl: db.url, apiOnly: true, log: () => {} });
});
afterAll(async () => {
  await running.close();
  await dropDb();
  await stopTestServer();
});

describe('control-plane server', () => {
  it('reports database health', async () => {
    const res = await fetch(`${running.url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', components: { database: 'up' } });
  });

  it('serves tRPC with the session cookie from first-run setup', async () => {
    const setup = await fetch(`${running.url}/api/trpc/auth.setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'admin@example.com', name: 'Admin', password: 'long enough secret' }),
    });
    expect(setup.status).toBe(200);
    const cookie = setup.headers.get('set-cookie')?.split(';')[0];
    expect(cookie).toMatch(/^fulcrum_session=/);
    const status = await fetch(`${running.url}/api/trpc/auth.status`, { headers: { cookie: cookie! } });
    expect(((await status.json()) as { result: { data: { user: { role: string } } } }).result.data.user.role).toBe('admin');

    const bad = await fetch(`${running.url}/api/trpc/pools.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: cookie! },
      body: JSON.stringify({ name: 'web', listenPort: 0 }),
    });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { data: { fieldErrors: Record<string, string[]> } } };
    expect(body.error.data.fieldErrors).toHaveProperty('listenPort');

    const token = await fetch(`${running.url}/api/trpc/tokens.create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: cookie! },
      body: JSON.stringify({ name: 'ci', role: 'operator' }),
    });
    const { token: bearer } = ((await token.json()) as { result: { data: { token: string } } }).result.data;
    const created = await fetch(`${running.url}/api/v1/pools`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bearer}` },
      body: JSON.stringify({ name: 'web', listenPort: 18500 }),
    });
    expect(created.status).toBe(200);
    const listed = await fetch(`${running.url}/api/v1/pools`, { headers: { authorization: `Bearer ${bearer}` } });
    expect(((await listed.json()) as { name: string }[]).map((p) => p.name)).toEqual(['web']);
    expect((await fetch(`${running.url}/api/v1/pools`)).status).toBe(401);
  });

  it('refuses WebSocket upgrades on paths nothing serves', async () => {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(running.port, '127.0.0.1', () => {
        socket.write('GET /ws/nothing HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n');
      });
      let data = '';
      socket.on('data', (d) => (data += d.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1.1 404/);
  });
});

describe('control-plane server without its database', () => {
  it('answers /api/health with 503 once PostgreSQL is gone, and keeps running', async () => {
    const db = await createTestDatabase();
    const server = await startServer({ port: 0, host: '127.0.0.1', databaseUrl: db.url, apiOnly: true, log: () => {} });
    try {
      expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
      await db.drop();
      const res = await fetch(`${server.url}/api/health`);
      expect(res.status).toBe(503);
      // No driver text (it names the host, port and database) for anyone who asks.
      expect(await res.json()).toEqual({ status: 'degraded', components: { database: 'down' } });
      expect(res.headers.get('retry-after')).toBe('5');
      // Still serving: the next request is answered too, not a crashed process.
      expect((await fetch(`${server.url}/api/health`)).status).toBe(503);
    } finally {
      await server.close();
    }
  });
});
