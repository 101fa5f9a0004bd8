import { type Server, createServer } from 'node:http';
import { WebSocketServer } from 'ws';
import type { DataplaneHub } from './hub/dataplane-hub';
import { TRPCError } from '@trpc/server';
import { type TestDatabase, createTestDatabase, stopTestServer } from '@fulcrum/db/testing';
import { afterAll, beforeAll } from 'vitest';
import type { TRole } from '@fulcrum/protocol';
import { createRestHandler } from './rest';
import { createCaller } from './root';
import { hashPassword } from './services/auth/secrets';
import { createApiToken } from './services/tokens/api-tokens';
import type { Actor, Context } from './trpc';

export interface TestApi {
  db: TestDatabase;
  /** A caller acting as a user of that role (created on first use). */
  as(role: TRole): Promise<ReturnType<typeof createCaller>>;
  anonymous(): ReturnType<typeof createCaller>;
  context(actor: Actor | null): Context;
  token(role: TRole | 'dataplane'): Promise<string>;
}

export const TEST_PASSWORD = 'correct horse battery';
// One scrypt hash per test process, shared by every test user: at N=2^17 a hash takes a moment
// (much longer on a busy machine), and the tests of roles are not about hashing.
let testPasswordHash: Promise<string> | undefined;

/** A fresh database and callers for each role, for integration tests of the routers. */
export async function createTestApi(): Promise<TestApi> {
  const db = await createTestDatabase();
  const actors = new Map<TRole, Actor>();
  const context = (actor: Actor | null): Context => ({ prisma: db.prisma, actor, resHeaders: new Headers() });
  return {
    db,
    context,
    anonymous: () => createCaller(context(null)),
    async as(role) {
      let actor = actors.get(role);
      if (!actor) {
        testPasswordHash ??= hashPassword(TEST_PASSWORD);
        const user = await db.prisma.user.create({ data: { email: `${role}@example.com`, name: role, role, passwordHash: await testPasswordHash } });
        actor = { kind: 'user', id: user.id, name: user.email, role };
        actors.set(role, actor);
      }
      return createCaller(context(actor));
    },
    async token(role) {
      return (await createApiToken(db.prisma, { name: `${role}-token`, role })).token;
    },
  };
}

/**
 * A test file's API: its own database made before the file's tests and dropped after them (with
 * the test server). The returned object forwards to it, so tests can hold it from the start.
 */
export function useTestApi(): TestApi {
  let current: TestApi | undefined;
  const made = (): TestApi => {
    if (!current) throw new Error('useTestApi: the API is made in beforeAll; use it inside a test or hook');
    return current;
  };
  beforeAll(async () => {
    current = await createTestApi();
  });
  afterAll(async () => {
    await current?.db.drop();
    await stopTestServer();
  });
  return {
    get db() {
      return made().db;
    },
    as: (role) => made().as(role),
    anonymous: () => made().anonymous(),
    context: (actor) => made().context(actor),
    token: (role) => made().token(role),
  };
}

/** The REST API over real HTTP on a free port of 127.0.0.1, for tests that call it as CI does. */
export async function startRestServer(api: TestApi): Promise<{ base: string; close(): Promise<void> }> {
  const handler = createRestHandler({ prisma: () => api.db.prisma });
  const server = createServer((req, res) => void handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    base: `http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** The tRPC error a call failed with, with the field errors the formatter would send. */
export async function trpcFailure(p: Promise<unknown>): Promise<{ code: string; message: string; fields: Record<string, string[]> }> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof TRPCError)) throw err;
    const e = err as TRPCError;
    const cause = e.cause as { fieldErrors?: Record<string, string[]>; issues?: { path: PropertyKey[]; message: string }[] } | undefined;
    const fields: Record<string, string[]> = { ...(cause?.fieldErrors ?? {}) };
    for (const i of cause?.issues ?? []) (fields[i.path.map(String).join('.')] ??= []).push(i.message);
    return { code: e.code, message: e.message, fields };
  }
  throw new Error('expected the call to fail');
}

/** A hub's data-plane endpoint on 127.0.0.1 (a free port), admitting every upgrade as the control plane's /ws/dataplane does. */
export async function listenHub(hub: DataplaneHub): Promise<{ server: Server; url: string }> {
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer();
  server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => hub.admit(ws, req.headers.authorization)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `ws://127.0.0.1:${(server.address() as { port: number }).port}/ws/dataplane` };
}
