import { type TestDatabase, createTestDatabase } from '@fulcrum/db/testing';
import { type RunningServer, startServer } from './http-server';

/** Words that only internal text has: driver and ORM messages, stack frames, SQL state. */
export const INTERNAL_TEXT = /prisma|invocation|node_modules|\bat \S+:\d+|\.ts:\d+|ECONN|SQLSTATE|violates|relation "|column "|stack|TypeError|RangeError|SyntaxError/i;

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: unknown;
}

export interface ApiServer {
  running: RunningServer;
  db: TestDatabase;
  url: string;
  adminCookie: string;
  operatorToken: string;
  /** Logged lines (internal errors land here with their request id). */
  logs: string[];
  send(method: string, path: string, body?: string | Buffer, headers?: Record<string, string>): Promise<Answer>;
  rest(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  trpc(procedure: string, input: unknown, headers?: Record<string, string>): Promise<Answer>;
  close(): Promise<void>;
}

/** A control plane (API only) on a fresh database, with a first admin's cookie and an operator token. */
export async function startApiServer(): Promise<ApiServer> {
  const db = await createTestDatabase();
  const logs: string[] = [];
  const running = await startServer({ port: 0, host: '127.0.0.1', databaseUrl: db.url, apiOnly: true, log: (l) => logs.push(l) });
  const send = async (method: string, path: string, body?: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(`${running.url}${path}`, { method, headers, body: typeof body === 'string' || body === undefined ? body : new Uint8Array(body) });
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, text, json };
  };
  const setup = await send('POST', '/api/trpc/auth.setup', JSON.stringify({ email: 'admin@example.com', name: 'Admin', password: 'long enough secret' }), { 'content-type': 'application/json' });
  const adminCookie = setup.headers.get('set-cookie')!.split(';')[0]!;
  const created = await send('POST', '/api/trpc/tokens.create', JSON.stringify({ name: 'ci', role: 'operator' }), { 'content-type': 'application/json', cookie: adminCookie });
  const operatorToken = (created.json as { result: { data: { token: string } } }).result.data.token;
  const json = { 'content-type': 'application/json' };
  return {
    running,
    db,
    url: running.url,
    adminCookie,
    operatorToken,
    logs,
    send,
    rest: (method, path, body, headers = {}) =>
      send(method, `/api/v1${path}`, body === undefined ? undefined : JSON.stringify(body), { ...json, authorization: `Bearer ${operatorToken}`, ...headers }),
    trpc: (procedure, input, headers = {}) => send('POST', `/api/trpc/${procedure}`, JSON.stringify(input), { ...json, cookie: adminCookie, ...headers }),
    async close() {
      await running.close();
      await db.drop();
    },
  };
}
