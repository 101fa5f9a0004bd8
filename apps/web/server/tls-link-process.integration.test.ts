import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createApiToken } from '@fulcrum/api';
import { createTestDatabase, freePort, stopTestServer } from '@fulcrum/db/testing';
import { TestPki, stopChild } from '@fulcrum/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from './http-server';
import { type ServerTls, localLinkArgs, readServerTls } from './server-tls';
import { eventually as waitFor } from '@fulcrum/test-support';

// The control plane serving https (FULCRUM_TLS_CERT / FULCRUM_TLS_KEY) and a fulcrum-dataplane process linking over wss.
const CLI = fileURLToPath(new URL('../../../packages/dataplane/src/cli.ts', import.meta.url));
const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-tls-link-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};
const procs: ChildProcess[] = [];
let db: Awaited<ReturnType<typeof createTestDatabase>>;
let cp: RunningServer;
let pki: TestPki;
let otherPki: TestPki;
let operator: string;
let caFile: string;
let cpTls: ServerTls;

function run(args: string[], env: Record<string, string> = {}): { proc: ChildProcess; output: () => string; closed: () => boolean } {
  let out = '';
  let closed = false;
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  // 'close' comes once its output is read to the end ('exit', and exitCode, can come before).
  proc.once('close', () => (closed = true));
  procs.push(proc);
  return { proc, output: () => out, closed: () => closed };
}

async function dataplane(url: string, name: string, extra: string[] = []) {
  const token = (await createApiToken(db.prisma, { name, role: 'dataplane' })).token;
  const stateDir = mkdtempSync(path.join(dir, 'state-'));
  return run([CLI, '--control-plane', url, ...extra, '--token', token, '--name', name, '--state-dir', stateDir, '--admin', 'off']);
}

/** Polls until `check` holds, naming `what` (asked only then) if the 60 s bound runs out. */
const eventually = (check: () => Promise<boolean> | boolean, what: () => string, ms = 60_000) => waitFor(check, ms, () => `condition (${what()})`);

/** REST over https, trusting the test CA (Node's fetch takes no CA). */
function rest(method: string, p: string, body?: unknown): Promise<never> {
  return new Promise((resolve, reject) => {
    const req = request(`${cp.url}/api/v1${p}`, { method, ca: pki.ca, headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve(JSON.parse(text) as never) : reject(new Error(`${method} ${p}: ${res.statusCode} ${text}`))));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

beforeAll(async () => {
  [pki, otherPki] = await Promise.all([TestPki.create(), TestPki.create()]);
  const leaf = await pki.leaf({ names: ['fulcrum.test'], ips: ['127.0.0.1'], ecdsa: true });
  caFile = file('ca.pem', pki.ca);
  db = await createTestDatabase();
  cpTls = readServerTls(file('cp.pem', leaf.chain), file('cp.key', leaf.key))!;
  cp = await startServer({ port: 0, host: '127.0.0.1', databaseUrl: db.url, apiOnly: true, log: () => {}, tls: cpTls });
  operator = (await createApiToken(db.prisma, { name: 'ci', role: 'operator' })).token;
});

afterAll(async () => {
  for (const p of procs) await stopChild(p);
  await cp?.close().catch(() => {});
  await db?.drop();
  await stopTestServer();
  pki?.dispose();
  otherPki?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('the data-plane link over wss', () => {
  it('a data plane trusting the CA links over wss, gets the snapshot and acks it', async () => {
    expect(cp.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const listenPort = await freePort();
    await rest('POST', '/pools', { name: 'tls-linked', listenHost: '127.0.0.1', listenPort, healthCheck: { enabled: false } });
    const latest = ((await rest('GET', '/revisions?limit=1')) as { version: number }[])[0]!.version;
    const dp = await dataplane(`wss://127.0.0.1:${cp.port}/ws/dataplane`, 'edge-wss', ['--control-plane-ca', caFile]);
    await eventually(async () => {
      const list = (await rest('GET', '/dataplanes')) as { name: string; connected: boolean; appliedConfigVersion: number | null }[];
      return list.some((d) => d.name === 'edge-wss' && d.connected && d.appliedConfigVersion === latest);
    }, dp.output);
    expect(dp.output()).toContain(`connected to wss://127.0.0.1:${cp.port}/ws/dataplane`);
    // The pool's listener is bound from the snapshot that came over TLS.
    await eventually(async () => (await fetch(`http://127.0.0.1:${listenPort}/`)).status === 503, dp.output);
  });

  it('a certificate from a CA it was not given is refused with the flag that fixes it, and tried again with backoff', async () => {
    const dp = await dataplane(`wss://127.0.0.1:${cp.port}/ws/dataplane`, 'edge-wrong-ca', ['--control-plane-ca', file('other-ca.pem', otherPki.ca)]);
    const refusals = () => dp.output().match(/link error: the control plane's certificate is not trusted \([A-Z_]+: [^)]*\); give the CA that issued it with --control-plane-ca FILE/g)?.length ?? 0;
    await eventually(() => refusals() >= 3, dp.output);
    expect(dp.output()).not.toContain('connected to');
    expect(dp.proc.exitCode).toBeNull();
    const list = (await rest('GET', '/dataplanes')) as { name: string }[];
    expect(list.some((d) => d.name === 'edge-wrong-ca')).toBe(false);
  });

  it('--control-plane-servername names the certificate to check when the URL gives an address', async () => {
    const named = await dataplane(`wss://127.0.0.1:${cp.port}/ws/dataplane`, 'edge-named', ['--control-plane-ca', caFile, '--control-plane-servername', 'fulcrum.test']);
    await eventually(() => named.output().includes('connected to wss://'), named.output);
    const wrong = await dataplane(`wss://127.0.0.1:${cp.port}/ws/dataplane`, 'edge-misnamed', ['--control-plane-ca', caFile, '--control-plane-servername', 'elsewhere.test']);
    await eventually(() => /link error: the control plane's certificate is not for this name \(.*elsewhere\.test.*\); connect by a name it holds/.test(wrong.output()), wrong.output);
    expect(wrong.output()).not.toContain('connected to');
  });

  it('the local data plane links with the arguments the control plane gives it: its chain file as CA, a name the certificate holds', async () => {
    // The running control plane's chain ends in the (self-signed) CA and names 127.0.0.1: the chain file is enough.
    expect(localLinkArgs(cpTls)).toEqual(['--control-plane-ca', cpTls.certFile]);
    const local = await dataplane(`wss://127.0.0.1:${cp.port}/ws/dataplane`, 'edge-local', localLinkArgs(cpTls));
    await eventually(() => local.output().includes('connected to wss://'), local.output);
    // A wildcard certificate without the address: a concrete name under it. A leaf alone (a public CA's): the system's roots.
    const wildcard = await pki.leaf({ names: ['*.fulcrum.test'] });
    expect(localLinkArgs(readServerTls(file('wild.pem', wildcard.chain), file('wild.key', wildcard.key))!)).toEqual([
      '--control-plane-ca',
      path.join(dir, 'wild.pem'),
      '--control-plane-servername',
      'local.fulcrum.test',
    ]);
    expect(localLinkArgs(readServerTls(file('leaf-only.pem', wildcard.cert), file('wild.key', wildcard.key))!)).toEqual(['--control-plane-servername', 'local.fulcrum.test']);
  });

  it('a plain ws:// data plane to the https control plane fails cleanly and says to use wss://', async () => {
    const dp = await dataplane(`ws://127.0.0.1:${cp.port}/ws/dataplane`, 'edge-plain');
    await eventually(() => /link error: the control plane closed the connection \([^)]*\); if it serves https, use wss:\/\//.test(dp.output()), dp.output);
    expect(dp.proc.exitCode).toBeNull();
    // The control plane is unharmed.
    expect(((await rest('GET', '/pools')) as unknown[]).length).toBeGreaterThan(0);
  });

  it('TLS settings on a ws:// link and an unreadable CA are refused at start', async () => {
    const onPlain = await dataplane(`ws://127.0.0.1:${cp.port}/ws/dataplane`, 'edge-bad-flags', ['--control-plane-ca', caFile]);
    await eventually(onPlain.closed, onPlain.output);
    expect(onPlain.proc.exitCode).toBe(2);
    expect(onPlain.output()).toContain('--control-plane-ca and --control-plane-servername apply to a wss:// control plane');
    const garbage = await dataplane(`wss://127.0.0.1:${cp.port}/ws/dataplane`, 'edge-bad-ca', ['--control-plane-ca', file('garbage.pem', 'not a certificate')]);
    await eventually(garbage.closed, garbage.output);
    expect(garbage.proc.exitCode).toBe(2);
    expect(garbage.output()).toContain('no PEM certificate in it');
  });

  it('the control plane refuses to start with half a TLS pair or files that do not parse', async () => {
    const leaf = await pki.leaf({ names: ['fulcrum.test'] });
    const other = await pki.leaf({ names: ['other.test'] });
    const at = (name: string) => path.join(dir, name);
    file('c.pem', leaf.chain);
    file('k.key', leaf.key);
    file('junk', 'junk');
    file('other.key', other.key);
    const refusals: [string | undefined, string | undefined, RegExp][] = [
      [at('c.pem'), undefined, /HTTPS needs both FULCRUM_TLS_CERT and FULCRUM_TLS_KEY; only FULCRUM_TLS_CERT is set/],
      [undefined, at('k.key'), /only FULCRUM_TLS_KEY is set/],
      [at('junk'), at('k.key'), /FULCRUM_TLS_CERT=.*junk: no PEM certificate in it/],
      [at('c.pem'), at('junk'), /FULCRUM_TLS_KEY=.*junk: not a PEM private key/],
      [at('c.pem'), at('other.key'), /FULCRUM_TLS_KEY=.*other\.key is not the key of the first certificate/],
      [at('missing.pem'), at('k.key'), /FULCRUM_TLS_CERT=.*missing\.pem: ENOENT/],
    ];
    for (const [cert, key, message] of refusals) expect(() => readServerTls(cert, key)).toThrow(message);
    expect(readServerTls(undefined, undefined)).toBeUndefined();
    // The process itself: it says why and exits 2, before a port or the database is touched.
    const cpProc = run([MAIN], { FULCRUM_TLS_CERT: at('c.pem'), PORT: '0', HOST: '127.0.0.1', DATABASE_URL: 'postgres://127.0.0.1:1/none', FULCRUM_EMBEDDED_DATAPLANE: '0' });
    await eventually(cpProc.closed, cpProc.output);
    expect(cpProc.proc.exitCode, cpProc.output()).toBe(2);
    expect(cpProc.output()).toMatch(/not starting: HTTPS needs both FULCRUM_TLS_CERT and FULCRUM_TLS_KEY/);
  });
});
