import { X509Certificate, createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { type TestLeaf, eventually, freePort } from '@fulcrum/test-support';
import {
  type TConfigSnapshotInput,
  type TConfigSnapshotV1,
  type TConfigSnapshotV2Input,
  type TListenerHttp,
  type TListenerTls,
  type TPoolConfigInput,
  ZBackendConfig,
  ZPoolConfig,
  ZAccessRecord,
  ZSnapshotPoolV1,
  certificateKeyRef,
  type TAccessRecord,
} from '@fulcrum/protocol';
import type { AddressInfo } from 'node:net';
import { startAdminServer } from './admin/admin-server';
import { AccessLogWriter } from './access-log/access-log-writer';
import { type ApplyResult, Dataplane } from './dataplane';
import { internalErrors } from './runtime/internal-errors';

export { freePort };

const PORT_TAKEN = /EADDRINUSE/;

/**
 * Applies `build(port)` on a free port and returns the port. A listener's port must be in the
 * snapshot before it is bound, so another process can take it in between (probe, close, bind):
 * then the snapshot is refused with EADDRINUSE and this tries another port.
 */
export async function applyOnFreePort<T extends TConfigSnapshotInput>(dp: { applySnapshot(snapshot: T): Promise<ApplyResult> }, build: (port: number) => T): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const result = await dp.applySnapshot(build(port));
    // A listener that cannot bind refuses its pool (the rest of the snapshot still applies).
    if (result.ok && result.refused.length === 0) return port;
    const error = result.ok ? result.refused.map((r) => r.error).join('; ') : result.error;
    if (!PORT_TAKEN.test(error) || attempt >= 5) throw new Error(`snapshot on port ${port} refused: ${error}`);
  }
}

/** A port nothing listens on (tcpmux, never served here): connecting to it is refused at once. */
export const REFUSED_PORT = 1;

export interface TestBackend {
  name: string;
  port: number;
  server: Server;
  hits: number;
  close(): Promise<void>;
}

type Handler = (req: IncomingMessage, res: ServerResponse, backend: TestBackend) => void;

const answerWithName: Handler = (req, res, b) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain', 'x-backend': b.name });
    res.end(b.name);
  });
};

/** A real HTTP backend on 127.0.0.1 that answers with its name (or runs `handler`). */
/** A backend on a port of its own (port 0, read back). */
export async function startBackend(name: string, handler: Handler = answerWithName): Promise<TestBackend> {
  const b = { name, port: 0, hits: 0 } as TestBackend;
  const server = createServer((req, res) => {
    if (req.url !== '/health') b.hits++;
    if (req.url === '/health') return void res.end('ok');
    handler(req, res, b);
  });
  server.keepAliveTimeout = 5000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  b.server = server;
  b.port = (server.address() as { port: number }).port;
  b.close = () =>
    new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return b;
}

/**
 * A backend that holds every request until `release()` (and answers later ones at once), so a
 * test can keep requests in flight for as long as it needs, however slow the machine is.
 */
export async function startHeldBackend(name: string): Promise<TestBackend & { release(): void }> {
  const held: ServerResponse[] = [];
  let released = false;
  const answer = (res: ServerResponse) => res.end(name);
  const b = await startBackend(name, (req, res) => {
    req.resume();
    if (released) answer(res);
    else held.push(res);
  });
  return Object.assign(b, {
    release() {
      released = true;
      held.splice(0).forEach(answer);
    },
  });
}

/**
 * Sends GETs one at a time until one is held on `held` (with every backend idle, the balancer
 * may pick any): each is waited for until it reached some backend. Returns the pending requests.
 */
export async function holdOne(port: number, held: TestBackend, other: TestBackend): Promise<Promise<unknown>[]> {
  const pending: Promise<unknown>[] = [];
  for (let i = 1; i <= 40 && held.hits === 0; i++) {
    pending.push(get(port));
    await eventually(() => held.hits + other.hits === i);
  }
  if (held.hits !== 1) throw new Error(`${held.name} holds ${held.hits} requests, not one`);
  return pending;
}

let version = 0;

/** A schema 1 snapshot with one pool in front of `backends` (ids are their names); the data plane upgrades it to a listener with a catch-all route. */
export function snapshotFor(
  listenPort: number,
  backends: { name: string; port: number; weight?: number; backup?: boolean; maxConnections?: number; adminState?: 'active' | 'draining' | 'disabled' }[],
  pool: Partial<TPoolConfigInput> = {},
  poolId = 'pool-1',
): TConfigSnapshotV1 {
  version++;
  const config = ZSnapshotPoolV1.omit({ id: true, backends: true }).parse({ name: 'test', listenHost: '127.0.0.1', listenPort, healthCheck: { enabled: false }, ...pool });
  return {
    version,
    hash: `h${version}-${Math.random()}`,
    pools: [
      {
        ...config,
        id: poolId,
        backends: backends.map((b) => ({
          ...ZBackendConfig.parse({ host: '127.0.0.1', port: b.port, weight: b.weight, backup: b.backup, maxConnections: b.maxConnections, adminState: b.adminState }),
          id: b.name,
        })),
      },
    ],
  };
}

/** A certificate in an https snapshot: its id, version and the test PKI's leaf. */
export interface SnapshotCert {
  id: string;
  version: number;
  leaf: TestLeaf;
}

/**
 * A schema 2 snapshot with one https listener (`edge`, catch-all route) in front of one backend
 * (pool `web`), serving `certs` (the first is the default) with their keys in the secrets, less
 * the key of `withoutKey`.
 */
export function httpsSnapshot(
  port: number,
  backendPort: number,
  certs: SnapshotCert[],
  opts: { tls?: Partial<TListenerTls>; http?: Partial<TListenerHttp>; withoutKey?: string } = {},
): TConfigSnapshotV2Input {
  version++;
  const { listenHost: _h, listenPort: _p, ...config } = ZPoolConfig.parse({ name: 'web', listenPort: 1, healthCheck: { enabled: false } });
  return {
    schema: 2,
    version,
    hash: `https-${version}-${Math.random()}`,
    pools: [{ ...config, id: 'web', backends: [{ ...ZBackendConfig.parse({ host: '127.0.0.1', port: backendPort }), id: 'web-1' }] }],
    listeners: [
      {
        id: 'edge',
        name: 'edge',
        address: '127.0.0.1',
        port,
        protocol: 'https',
        ...(opts.http ? { http: opts.http } : {}),
        tls: { certificateIds: certs.map((c) => c.id), ...opts.tls },
        routes: [{ id: 'all', name: 'all', action: { type: 'pool', poolId: 'web' } }],
      },
    ],
    certificates: certs.map((c) => ({ id: c.id, name: c.id, version: c.version, names: new X509Certificate(c.leaf.cert).subjectAltName!.split(', ').map((n) => n.slice(4)), chain: c.leaf.chain })),
    secrets: Object.fromEntries(certs.filter((c) => c.id !== opts.withoutKey).map((c) => [certificateKeyRef(c.id), c.leaf.key])),
  };
}

/** GET through the proxy, returning status, body and headers; bounded by a timeout. */
export async function get(port: number, path = '/', headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Headers }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers, signal: AbortSignal.timeout(10_000) });
  return { status: res.status, body: await res.text(), headers: res.headers };
}

export function tally(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export { eventually };

/** Bytes that differ from read to read (xorshift from `seed`), so a piece sent twice or from the wrong place shows. */
export function pseudoRandomBytes(seed: number, size: number): Buffer {
  const out = Buffer.alloc(Math.ceil(size / 4) * 4);
  let x = seed * 2654435761 + 1;
  for (let i = 0; i < out.length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeInt32LE(x | 0, i);
  }
  return out.subarray(0, size);
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A single data plane's admin endpoint on 127.0.0.1 (a free port), as the CLI serves it; `text(path)` reads from it. */
export async function startTestAdmin(dp: Dataplane): Promise<{ text(path: string): Promise<string>; close(): Promise<void> }> {
  const server = await startAdminServer(
    {
      id: dp.id,
      configVersion: () => dp.version,
      lastFrame: () => dp.lastFrame,
      metrics: () => dp.metricsView(),
      events: () => dp.recentEvents,
      process: () => ({ internalErrors: internalErrors.counts, connections: dp.connections(), fdLimit: null }),
    },
    { host: '127.0.0.1', port: 0 },
  );
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    text: async (path) => (await fetch(`${url}${path}`, { signal: AbortSignal.timeout(10_000) })).text(),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/**
 * A data plane writing its access log (JSON) to a file in a fresh temporary folder; `records()`
 * parses what has reached the file so far. Its stop and the folder's removal go on `cleanups`.
 */
export function dataplaneWithAccessLog(cleanups: (() => unknown)[], prefix: string): { dp: Dataplane; records(): TAccessRecord[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'access.log');
  const dp = new Dataplane({ accessLog: new AccessLogWriter(file) });
  cleanups.push(() => dp.stop());
  const records = () =>
    existsSync(file)
      ? readFileSync(file, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => ZAccessRecord.parse(JSON.parse(l)))
      : [];
  return { dp, records };
}
