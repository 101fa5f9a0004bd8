import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiToken } from '@fulcrum/api';
import { createTestDatabase, freePort, stopTestServer } from '@fulcrum/db/testing';
import { stopChild } from '@fulcrum/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from './http-server';
import { eventually as waitFor } from '@fulcrum/test-support';

// The data plane as operators run it: the fulcrum-dataplane command in its own process.
const CLI = fileURLToPath(new URL('../../../packages/dataplane/src/cli.ts', import.meta.url));
const HTTP_SERVER = fileURLToPath(new URL('./http-server.ts', import.meta.url));

/** A control-plane replica in its own process (API, REST and the hub; no dashboard). */
async function startControlPlaneProcess(databaseUrl: string): Promise<{ url: string; proc: ChildProcess }> {
  const code = `import { startServer } from ${JSON.stringify(HTTP_SERVER)};
const s = await startServer({ port: 0, host: '127.0.0.1', databaseUrl: ${JSON.stringify(databaseUrl)}, apiOnly: true, log: () => {} });
console.log('LISTENING ' + s.url);
process.on('SIGTERM', () => s.close().then(() => process.exit(0)));`;
  const proc = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.push(proc);
  let out = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`control plane did not start: ${out}`)), 120_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /LISTENING (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
  });
  return { url, proc };
}

let db: Awaited<ReturnType<typeof createTestDatabase>>;
let cp: RunningServer | undefined;
let operator: string;
let dpToken: string;
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-dp-proc-state-'));
const procs: ChildProcess[] = [];
const backends: Server[] = [];

function startDataplaneProcess(url: string, name: string, token = dpToken): { proc: ChildProcess; output: () => string } {
  let out = '';
  const proc = spawn(process.execPath, ['--import', 'tsx', CLI, '--control-plane', url, '--token', token, '--name', name, '--state-dir', stateDir, '--admin', 'off'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  procs.push(proc);
  return { proc, output: () => out };
}

/** Polls until `check` holds; the 60 s bound only stops a hang. */
const eventually = (check: () => Promise<boolean> | boolean, ms = 60_000) => waitFor(check, ms);

async function tallyBodies(port: number, n: number): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const text = await (await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) })).text();
    out[text] = (out[text] ?? 0) + 1;
  }
  return out;
}

async function backend(name: string): Promise<number> {
  const srv = createServer((_req, res) => res.end(name));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  backends.push(srv);
  return (srv.address() as { port: number }).port;
}

async function call(method: string, p: string, body?: unknown): Promise<never> {
  const res = await fetch(`${cp!.url}/api/v1${p}`, {
    method,
    headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json()) as never;
  if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

beforeAll(async () => {
  db = await createTestDatabase();
  cp = await startServer({ port: 0, host: '127.0.0.1', databaseUrl: db.url, apiOnly: true, log: () => {} });
  operator = (await createApiToken(db.prisma, { name: 'ci', role: 'operator' })).token;
  dpToken = (await createApiToken(db.prisma, { name: 'edge', role: 'dataplane' })).token;
});

afterAll(async () => {
  for (const p of procs) await stopChild(p);
  backends.forEach((b) => b.close());
  await cp?.close().catch(() => {});
  await db.drop();
  await stopTestServer();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('a fulcrum-dataplane process linked to the control plane', () => {
  it('follows the API, survives the control plane going away, and serves from disk after a restart without it', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const listenPort = await freePort();
    await call('POST', '/pools', { name: 'web', listenHost: '127.0.0.1', listenPort, healthCheck: { enabled: false } });
    const ba = (await call('POST', '/pools/web/backends', { host: '127.0.0.1', port: a })) as { id: string; version: number };
    await call('POST', '/pools/web/backends', { host: '127.0.0.1', port: b });

    const first = startDataplaneProcess(`${cp!.url.replace('http', 'ws')}/ws/dataplane`, 'edge-proc');
    await eventually(async () => ((await tallyBodies(listenPort, 2).catch(() => ({}))) as Record<string, number>).a === 1).catch((e) => {
      throw new Error(`${e}; data plane said: ${first.output()}`);
    });
    expect(await tallyBodies(listenPort, 20)).toEqual({ a: 10, b: 10 });

    // A weight change through the API reshapes the traffic through the process.
    const pool = (await call('GET', '/pools/web')) as { version: number };
    await call('PATCH', '/pools/web', { expectedVersion: pool.version, patch: { algorithm: 'weighted_round_robin' } });
    await call('PATCH', `/backends/${ba.id}`, { expectedVersion: ba.version, patch: { weight: 4 } });
    await eventually(async () => {
      const list = (await call('GET', '/dataplanes')) as { name: string; connected: boolean; lag: number | null }[];
      return list.some((d) => d.name === 'edge-proc' && d.connected && d.lag === 0);
    });
    expect(await tallyBodies(listenPort, 20)).toEqual({ a: 16, b: 4 });

    // The control plane goes away: the data plane keeps serving what it has.
    await cp!.close();
    cp = undefined;
    await eventually(() => first.output().includes('link closed'));
    expect(await tallyBodies(listenPort, 10)).toEqual({ a: 8, b: 2 });

    // Restarted with no control plane to reach, it serves the config it kept on disk.
    await stopChild(first.proc);
    const second = startDataplaneProcess(`ws://127.0.0.1:${await freePort()}/ws/dataplane`, 'edge-proc');
    await eventually(() => second.output().includes('serving saved config')).catch((e) => {
      throw new Error(`${e}; data plane said: ${second.output()}`);
    });
    await eventually(async () => Object.keys(await tallyBodies(listenPort, 1)).length > 0);
    expect(await tallyBodies(listenPort, 10)).toEqual({ a: 8, b: 2 });
    await stopChild(second.proc);
  }, 300_000);

  it('two control-plane processes on one database push every revision to the data planes of both', async () => {
    const one = await startControlPlaneProcess(db.url);
    const two = await startControlPlaneProcess(db.url);
    const rest = async (base: string, method: string, p: string, body?: unknown) => {
      const res = await fetch(`${base}/api/v1${p}`, {
        method,
        headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${p}: ${res.status} ${await res.text()}`);
      return (await res.json()) as never;
    };
    const c = await backend('c');
    const d = await backend('d');
    const listenPort = await freePort();
    await rest(one.url, 'POST', '/pools', { name: 'replicated', listenHost: '127.0.0.1', listenPort, healthCheck: { enabled: false } });
    await rest(one.url, 'POST', '/pools/replicated/backends', { host: '127.0.0.1', port: c });
    const bd = (await rest(one.url, 'POST', '/pools/replicated/backends', { host: '127.0.0.1', port: d, adminState: 'disabled' })) as { id: string; version: number };

    // A data plane process on replica two (it binds the listeners); on replica one a second data
    // plane speaks the protocol itself, since two processes on one host cannot share the ports.
    // Each data plane its own token: a token speaks for one data plane.
    const proc = startDataplaneProcess(`${two.url.replace('http', 'ws')}/ws/dataplane`, 'edge-on-two', (await createApiToken(db.prisma, { name: 'edge-on-two', role: 'dataplane' })).token);
    const oneToken = (await createApiToken(db.prisma, { name: 'edge-on-one', role: 'dataplane' })).token;
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(`${one.url.replace('http', 'ws')}/ws/dataplane`, { headers: { authorization: `Bearer ${oneToken}` } });
    ws.on('error', () => {});
    ws.on('open', () => ws.send(JSON.stringify({ type: 'hello', dataplaneId: 'edge-on-one', name: 'edge-on-one', softwareVersion: 'test', configVersion: null, configHash: null })));
    ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as { type: string; version: number; hash: string };
      if (msg.type === 'snapshot') ws.send(JSON.stringify({ type: 'ack', version: msg.version, hash: msg.hash }));
    });
    try {
      await eventually(async () => JSON.stringify(await tallyBodies(listenPort, 2)) === JSON.stringify({ c: 2 })).catch((e) => {
        throw new Error(`${e}; data plane said: ${proc.output()}`);
      });
      // Committed through replica one; the data plane on replica two serves it.
      await rest(one.url, 'PATCH', `/backends/${bd.id}`, { expectedVersion: bd.version, patch: { adminState: 'active' } });
      await eventually(async () => Object.keys(await tallyBodies(listenPort, 4)).length === 2);
      expect(await tallyBodies(listenPort, 10)).toEqual({ c: 5, d: 5 });
      const latest = ((await rest(two.url, 'GET', '/revisions?limit=1')) as { version: number }[])[0]!.version;
      await eventually(async () => {
        const list = (await rest(two.url, 'GET', '/dataplanes')) as { name: string; connected: boolean; appliedConfigVersion: number }[];
        return ['edge-on-one', 'edge-on-two'].every((n) => list.some((x) => x.name === n && x.connected && x.appliedConfigVersion === latest));
      });
    } finally {
      ws.close();
      await stopChild(proc.proc);
      await stopChild(one.proc);
      await stopChild(two.proc);
    }
  }, 300_000);
});
