import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, createServer, get } from 'node:http';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import { type TestDatabase, createTestDatabase, freePort } from '@fulcrum/db/testing';
import { DATAPLANE_WS_PATH, DEPLOY_FINAL_STATUSES, type TDeployRecord } from '@fulcrum/protocol';
import { eventually, freePortRange } from '@fulcrum/test-support';
import { WebSocketServer } from 'ws';
import { DataplaneHub, setHub } from '../../hub/dataplane-hub';
import { createRestHandler } from '../../rest';
import { createApiToken } from '../tokens/api-tokens';
import { DeployRunner, type DeployRunnerOptions, setDeployRunner } from './deploy-runner';

// The data plane and fulcrumctl run as processes from their packages (dev dependencies of this one).
const packageSrc = (name: string) => path.dirname(createRequire(import.meta.url).resolve(name));
const DATAPLANE_DIR = path.dirname(packageSrc('@fulcrum/dataplane'));
export const DATAPLANE_CLI = path.join(DATAPLANE_DIR, 'src/cli.ts');
export const FULCRUMCTL = path.join(path.dirname(packageSrc('@fulcrum/cli')), 'bin/fulcrumctl.mjs');
export const REPLICA_SCRIPT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../stats/fixtures/control-plane-replica.ts');

/**
 * A small HTTP backend as its own process: `ok` answers 200 with its name, `fail` answers 500
 * except on /health (so it passes health checks and fails only real traffic), `sick` answers 503
 * on /health only (it never passes a health check), `slow=N` waits N ms.
 * On port 0 it binds a port of the system's choosing and prints `LISTENING <port>`.
 */
export const BACKEND_SCRIPT = `
const [port, name, mode] = process.argv.slice(-3);
const slow = mode.startsWith('slow=') ? Number(mode.slice(5)) : 0;
const server = require('http').createServer((req, res) => {
  if (req.url === '/health') { res.statusCode = mode === 'sick' ? 503 : 200; return res.end(mode === 'sick' ? 'sick' : 'ok'); }
  const answer = () => { res.statusCode = mode === 'fail' ? 500 : 200; res.end(name); };
  slow ? setTimeout(answer, slow) : answer();
}).listen(Number(port), '127.0.0.1', () => console.log('LISTENING ' + server.address().port));
process.on('SIGTERM', () => process.exit(0));
`;

export interface SystemHarness {
  db: TestDatabase;
  url: string;
  api: string;
  operatorToken: string;
  // biome-ignore lint/suspicious/noExplicitAny: a test helper; callers read the answer field by field and assert on it (its shape is what is under test)
  call(method: string, p: string, body?: unknown): Promise<{ status: number; json: any }>;
  /** A data plane process linked to this control plane, or to the one at `controlPlaneUrl` (http://host:port). */
  startDataplane(name?: string, controlPlaneUrl?: string): Promise<ChildProcess>;
  /** Another control-plane replica (the hub alone) on the same database, as its own process; resolves with its URL. */
  startReplica(controlPlaneId: string): Promise<string>;
  startBackend(name: string, mode?: string): Promise<{ port: number; child: ChildProcess }>;
  /**
   * Creates a pool of its own on a free port and waits until the running data plane serves it;
   * when another process took the port first (the data plane nacks EADDRINUSE), moves the pool
   * to another port. Needs a data plane started with `startDataplane`.
   */
  createPool(config: Record<string, unknown> & { name: string }): Promise<{ id: string; listenPort: number }>;
  /**
   * Declares a `process` provider profile as an admin would (argv with `{port}` and the profile's
   * parameters), on a range from a free port to `ports` more (default 40), every one free when
   * chosen and below the kernel's ephemeral range; throws unless it is stored.
   */
  createProcessProfile(name: string, argv: string[], opts?: { ports?: number; parameters?: unknown[] }): Promise<void>;
  /** Declares a provider profile of any kind as an admin would; throws unless it is stored. */
  createProfile(name: string, spec: Record<string, unknown>): Promise<void>;
  /**
   * Stops the deploy runner as a control plane's exit would (a running deploy is left, for
   * another replica to take over once its heartbeat is older than `staleMs`) and starts a new one.
   */
  restartDeployRunner(opts?: DeployRunnerOptions): Promise<void>;
  /** Runs a command until it exits; resolves with its code and output. */
  run(args: string[], env?: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

/** The port a BACKEND_SCRIPT (or replica) process bound, from its `LISTENING <port>` line. */
function reportedPort(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`process did not report its port within 120 s: ${out}`)), 120_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /LISTENING (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`backend exited with ${code} before listening: ${out}`));
    });
  });
}

/** What answers on `port`: undefined when nothing does, else whether the data plane did (it names its errors). */
function answerOn(port: number): Promise<{ fromDataplane: boolean } | undefined> {
  return new Promise((resolve) =>
    get({ host: '127.0.0.1', port, path: '/', agent: false }, (r) => {
      r.resume();
      resolve({ fromDataplane: r.headers['x-fulcrum-error'] !== undefined });
    }).on('error', () => resolve(undefined)),
  );
}

/** A control plane (REST, the data-plane hub, the deploy runner) on a fresh database, and helpers to run real processes beside it. */
export async function startSystem(opts: { onStarted?: (h: { prisma: TestDatabase['prisma']; databaseUrl: string }) => Promise<() => Promise<void>> } = {}): Promise<SystemHarness> {
  const db = await createTestDatabase();
  const hub = new DataplaneHub(db.prisma, { controlPlaneId: `cp-test-${process.pid}` });
  hub.start(db.url);
  setHub(hub);
  let runner = new DeployRunner(db.prisma, { tickMs: 200 });
  runner.start();
  setDeployRunner(runner);
  const stopExtra = opts.onStarted ? await opts.onStarted({ prisma: db.prisma, databaseUrl: db.url }) : undefined;

  const rest = createRestHandler({ prisma: () => db.prisma });
  const server: Server = createServer((req, res) => void rest(req, res));
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (req.url !== DATAPLANE_WS_PATH) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => hub.admit(ws, req.headers.authorization));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const operatorToken = (await createApiToken(db.prisma, { name: 'ci', role: 'operator' })).token;
  const children: ChildProcess[] = [];
  let adminToken: string | undefined;
  const dataplaneTokens = new Map<string, string>();
  const dirs: string[] = [];

  const createProfile: SystemHarness['createProfile'] = async (name, spec) => {
    adminToken ??= (await createApiToken(db.prisma, { name: 'harness-admin', role: 'admin' })).token;
    const res = await fetch(`${url}/api/v1/provider-profiles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name, spec }),
    });
    if (res.status !== 200) throw new Error(`provider profile ${name}: HTTP ${res.status} ${await res.text()}`);
  };
  const call: SystemHarness['call'] = async (method, p, body) => {
    const res = await fetch(`${url}/api/v1${p}`, {
      method,
      headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() };
  };

  const spawnTracked = (cmd: string, args: string[], o: Parameters<typeof spawn>[2]) => {
    const child = spawn(cmd, args, o);
    children.push(child);
    return child;
  };

  return {
    db,
    url,
    api: `${url}/api/v1`,
    operatorToken,
    call,
    async startDataplane(name = 'edge-1', controlPlaneUrl = url) {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-dp-'));
      dirs.push(dir);
      // Each data plane its own token (a token speaks for one data plane), kept across its restarts.
      let dataplaneToken = dataplaneTokens.get(name);
      if (!dataplaneToken) dataplaneTokens.set(name, (dataplaneToken = (await createApiToken(db.prisma, { name, role: 'dataplane' })).token));
      const child = spawnTracked(
        process.execPath,
        ['--import', 'tsx', DATAPLANE_CLI, '--control-plane', `${controlPlaneUrl.replace('http', 'ws')}${DATAPLANE_WS_PATH}`, '--name', name, '--state-dir', dir, '--admin', 'off'],
        {
          cwd: DATAPLANE_DIR,
          env: { ...process.env, FULCRUM_DATAPLANE_TOKEN: dataplaneToken },
          stdio: ['ignore', 'ignore', 'inherit'],
        },
      );
      return child;
    },
    async startReplica(controlPlaneId) {
      const child = spawnTracked(process.execPath, ['--import', 'tsx', REPLICA_SCRIPT, db.url, controlPlaneId], {
        cwd: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..'),
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      return `http://127.0.0.1:${await reportedPort(child)}`;
    },
    async startBackend(name, mode = 'ok') {
      const child = spawnTracked(process.execPath, ['-e', BACKEND_SCRIPT, '0', name, mode], { stdio: ['ignore', 'pipe', 'ignore'] });
      return { port: await reportedPort(child), child };
    },
    async createPool(config) {
      let pool: { id: string; version: number; listenPort: number } | undefined;
      for (let attempt = 1; ; attempt++) {
        const listenPort = await freePort();
        const r = pool
          ? await call('PATCH', `/pools/${pool.id}`, { expectedVersion: pool.version, patch: { listenPort } })
          : await call('POST', '/pools', { listenHost: '127.0.0.1', ...config, listenPort });
        if (r.status !== 200) throw new Error(`pool ${config.name} on ${listenPort}: HTTP ${r.status} ${JSON.stringify(r.json)}`);
        pool = r.json as { id: string; version: number; listenPort: number };
        const { outcome } = await eventually(
          async () => {
            if ((await answerOn(listenPort))?.fromDataplane) return { outcome: 'serving' };
            const dataplanes = (await call('GET', '/dataplanes')).json as { lastError: string | null }[];
            return dataplanes.some((d) => d.lastError?.includes(`:${listenPort}: EADDRINUSE`)) ? { outcome: 'taken' } : undefined;
          },
          60_000,
          `the data plane serving pool ${config.name} on ${listenPort}`,
        );
        if (outcome === 'serving') return { id: pool.id, listenPort };
        if (attempt >= 5) throw new Error(`pool ${config.name}: no free port after ${attempt} tries`);
      }
    },
    async createProcessProfile(name, argv, opts = {}) {
      // The whole range below the ephemeral one: an outgoing connection never holds one of its ports.
      const ports = (opts.ports ?? 40) + 1;
      const portRangeStart = await freePortRange(ports);
      await createProfile(name, { kind: 'process', argv, portRangeStart, portRangeEnd: portRangeStart + ports - 1, ...(opts.parameters ? { parameters: opts.parameters } : {}) });
    },
    createProfile,
    async restartDeployRunner(opts = {}) {
      await runner.stop();
      runner = new DeployRunner(db.prisma, { tickMs: 200, ...opts });
      runner.start();
      setDeployRunner(runner);
    },
    run(args, env: Record<string, string> = {}) {
      return new Promise((resolve, reject) => {
        const child = spawnTracked(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
        let stdout = '';
        let stderr = '';
        child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
        child.on('error', reject);
        // 'close', not 'exit': 'exit' can come before the last of its output is read.
        child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });
    },
    async close() {
      await stopExtra?.();
      await runner.stop();
      setDeployRunner(undefined);
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
      await Promise.all(children.map((c) => (c.exitCode === null && c.signalCode === null ? new Promise((r) => c.once('exit', r)) : undefined)));
      wss.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await hub.stop();
      setHub(undefined);
      await db.drop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
}

/** A REST call with a bearer token (none: unauthenticated), keeping the raw text to check what an answer must not hold. */
// biome-ignore lint/suspicious/noExplicitAny: a test helper; callers read the answer field by field and assert on it (its shape is what is under test)
export async function callAs(api: string, token: string | undefined, method: string, p: string, body?: unknown): Promise<{ status: number; json: any; text: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  const res = await fetch(`${api}${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, text };
}

/** Sends requests one after another for `ms` (bounded in count) and tallies bodies and failures. */
export function driveTraffic(port: number) {
  const tally = { ok: 0, failed: 0, bodies: {} as Record<string, number>, statuses: {} as Record<string, number> };
  let stop = false;
  const done = (async () => {
    for (let i = 0; i < 200_000 && !stop; i++) {
      await new Promise<void>((resolve) => {
        get({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
          let body = '';
          res.on('data', (c) => (body += c));
          res.on('end', () => {
            tally.statuses[res.statusCode ?? 0] = (tally.statuses[res.statusCode ?? 0] ?? 0) + 1;
            if (res.statusCode === 200) {
              tally.ok++;
              tally.bodies[body] = (tally.bodies[body] ?? 0) + 1;
            } else tally.failed++;
            resolve();
          });
        }).on('error', (err: NodeJS.ErrnoException) => {
          tally.statuses[err.code ?? 'error'] = (tally.statuses[err.code ?? 'error'] ?? 0) + 1;
          tally.failed++;
          resolve();
        });
      });
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  return {
    tally,
    async stop() {
      stop = true;
      await done;
      return tally;
    },
  };
}

export { eventually };

/** The deploy's record once it has ended (succeeded, failed, aborted or rolled back). */
export function deployEnded(h: Pick<SystemHarness, 'call'>, id: string, timeoutMs = 240_000): Promise<TDeployRecord> {
  return eventually(
    async () => {
      const d = (await h.call('GET', `/deploys/${id}`)).json as TDeployRecord;
      return DEPLOY_FINAL_STATUSES.includes(d.status) ? d : undefined;
    },
    timeoutMs,
    `deploy ${id} to end`,
  );
}
