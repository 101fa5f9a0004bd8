import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type EmbeddedServer, dbEnv, startEmbeddedPostgres } from '@fulcrum/db';
import { freePort } from '@fulcrum/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from './http-server';
import { INTERNAL_TEXT } from './test-api-server';

// A PostgreSQL server of its own: this test freezes and stops it.
let dir: string;
let pg: EmbeddedServer;
let server: RunningServer;
let token: string;
let cookie: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-outage-pg-'));
  chmodSync(dir, 0o755);
  pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'pg'), port: await freePort() });
  // Shorter bounds than production's 5 s and 10 s so the test is quick, but not so short that a
  // loaded machine's ordinary connects and queries (the 200s this test also needs) run past them.
  dbEnv.connectTimeoutMs = 5000;
  dbEnv.queryTimeoutMs = 5000;
  server = await startServer({ port: 0, host: '127.0.0.1', databaseUrl: pg.url('postgres'), apiOnly: true, log: () => {} });
  const setup = await post('/api/trpc/auth.setup', { email: 'admin@example.com', name: 'Admin', password: 'long enough secret' });
  cookie = setup.headers.get('set-cookie')!.split(';')[0]!;
  const created = await post('/api/trpc/tokens.create', { name: 'ci', role: 'operator' }, { cookie });
  token = ((await created.json()) as { result: { data: { token: string } } }).result.data.token;
});
afterAll(async () => {
  await server?.close();
  await pg?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function post(p: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${server.url}${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** The postmaster and every backend it forked: SIGSTOP on all of them freezes the server as a hung host would. */
function postgresProcesses(): number[] {
  const postmaster = Number(readFileSync(path.join(dir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
  const children = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number)
    .filter((pid) => {
      try {
        return (
          readFileSync(`/proc/${pid}/stat`, 'utf8')
            .replace(/^.*\) /s, '')
            .split(' ')[1] === String(postmaster)
        );
      } catch {
        return false;
      }
    });
  return [postmaster, ...children];
}

// Every call gets this long at most: it bounds a hang (the bug), it is not the expectation.
const HANG_BOUND_MS = 20_000;
const calls = () => [
  fetch(`${server.url}/api/v1/pools`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(HANG_BOUND_MS) }),
  fetch(`${server.url}/api/trpc/pools.list`, { headers: { cookie }, signal: AbortSignal.timeout(HANG_BOUND_MS) }),
  post('/api/trpc/pools.create', { name: 'during-outage', listenPort: 18700 }, { cookie }),
];

async function expectUnavailable(responses: Response[]) {
  for (const res of responses) {
    const text = await res.text();
    expect(res.status, text).toBe(503);
    expect(res.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(text).not.toMatch(INTERNAL_TEXT);
    expect(text).not.toMatch(/127\.0\.0\.1|timeout exceeded|terminated/i);
  }
  const health = await fetch(`${server.url}/api/health`, { signal: AbortSignal.timeout(HANG_BOUND_MS) });
  expect(health.status).toBe(503);
  expect(await health.json()).toEqual({ status: 'degraded', components: { database: 'down' } });
}

async function waitUntilServing() {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await fetch(`${server.url}/api/v1/pools`, { headers: { authorization: `Bearer ${token}` } });
    if (res.status === 200) return;
    if (Date.now() > deadline) throw new Error(`API still answers ${res.status} after PostgreSQL came back`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('database trouble (issue 13, item 8)', () => {
  it('answers 503 with Retry-After while PostgreSQL is frozen, and recovers without a restart', async () => {
    expect((await fetch(`${server.url}/api/v1/pools`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    const frozen = postgresProcesses();
    for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    try {
      await expectUnavailable(await Promise.all(calls()));
    } finally {
      for (const pid of frozen) process.kill(pid, 'SIGCONT');
    }
    await waitUntilServing();
    expect((await post('/api/trpc/pools.create', { name: 'after-outage', listenPort: 18701 }, { cookie })).status).toBe(200);
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });

  it('answers 503 with Retry-After while PostgreSQL is down', async () => {
    await pg.stop();
    await expectUnavailable(await Promise.all(calls()));
  });
});
