import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Server, createServer, request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { ControlPlaneClient, Dataplane } from '@fulcrum/dataplane';
import { freePort, stopTestServer } from '@fulcrum/db/testing';
import { ZCertificate } from '@fulcrum/protocol';
import { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataplaneHub } from '../../hub/dataplane-hub';
import { type TestApi, createTestApi, startRestServer } from '../../test-support';
import { FULCRUMCTL, eventually } from '../deploys/system-harness';
import { AcmeRenewer } from './acme-renewer';
import { type Pebble, hasPebble, startPebble } from './pebble-harness';

/**
 * The whole ACME path against Debian's pebble, a real ACME server: an account registered, a
 * certificate ordered for `localhost`, the HTTP-01 challenge answered by a real data plane's
 * http listener (linked to the hub over WebSocket, its only route a redirect to https), the
 * issued certificate served by the https listener, then renewed by the renewal loop under
 * steady traffic with no failed request and the new serial on new connections.
 */
const HOST = 'localhost';
let t: TestApi;
let hub: DataplaneHub;
let linkServer: Server;
let backend: Server;
let dp: Dataplane;
let client: ControlPlaneClient;
let pebble: Pebble;
let httpPort: number;
let httpsPort: number;
let pebbleRoot: string;

beforeAll(async () => {
  t = await createTestApi();
  hub = new DataplaneHub(t.db.prisma, { controlPlaneId: 'cp-acme', heartbeatMs: 1000 });
  hub.start(t.db.url);
  const wss = new WebSocketServer({ noServer: true });
  linkServer = createServer();
  linkServer.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => hub.admit(ws, req.headers.authorization)));
  await new Promise<void>((r) => linkServer.listen(0, '127.0.0.1', r));
  backend = createServer((req, res) => {
    req.resume();
    res.end(`app ${req.headers['x-forwarded-proto']}`);
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  dp = new Dataplane({});
  client = new ControlPlaneClient(dp, {
    url: `ws://127.0.0.1:${(linkServer.address() as { port: number }).port}/ws/dataplane`,
    token: await t.token('dataplane'),
    name: 'edge-dp',
    softwareVersion: 'test',
    backoffBaseMs: 50,
    backoffMaxMs: 500,
  });
  client.start();
  const op = await t.as('admin');
  await op.pools.create({ name: 'app', healthCheck: { enabled: false } as never });
  await op.backends.create({ poolId: 'app', host: '127.0.0.1', port: (backend.address() as { port: number }).port });
  // The http listener first (pebble validates on its port): everything but challenges goes to https.
  httpPort = await freePort();
  await op.listeners.create({ name: 'plain', address: '127.0.0.1', port: httpPort });
  await op.routes.create({ listener: 'plain', name: 'to-https', match: { hosts: [HOST] }, action: { type: 'redirect', status: 308, location: 'https://$host$request_uri' } });
  await eventually(async () => (await httpStatus(httpPort, '/x').catch((e: Error) => e.message)) === 308, 30_000, 'the http listener');
  pebble = await startPebble({ httpPort });
  pebbleRoot = await pebble.root();
}, 120_000);

afterAll(async () => {
  client?.stop();
  await dp?.stop();
  await pebble?.stop();
  await hub?.stop();
  linkServer?.close();
  backend?.close();
  await t?.db.drop();
  await stopTestServer();
});

/** The status of a GET to an http listener, Host `localhost`. */
function httpStatus(port: number, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: target, headers: { host: HOST }, timeout: 10_000 }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

/** One HTTPS request through the https listener (SNI `localhost`, pebble's root trusted): the body and the certificate served. */
function httpsGet(agent: Agent): Promise<{ body: string; fingerprint: string; localPort: number }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port: httpsPort, path: '/', servername: HOST, headers: { host: HOST }, agent, timeout: 15_000 }, (res) => {
      const socket = res.socket as TLSSocket;
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ body, fingerprint, localPort: socket.localPort ?? 0 }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(!hasPebble())('ACME against pebble', () => {
  it('registers, issues through the data plane’s HTTP-01 answer, serves the certificate, and renews it in the renewal window without dropping a request', async () => {
    const admin = await t.as('admin');
    // As an operator does it: fulcrumctl over the REST API.
    const rest = await startRestServer(t);
    const token = await t.token('admin');
    const ctl = (...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [FULCRUMCTL, ...args], { env: { ...process.env, FULCRUM_URL: rest.base.replace(/\/api\/v1$/, ''), FULCRUM_TOKEN: token } }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
        );
      });
    const caDir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-acme-ca-'));
    writeFileSync(path.join(caDir, 'ca.pem'), pebble.directoryCa);
    const registered = await ctl('certs', 'acme-account', 'pebble', '--directory', pebble.directoryUrl, '--email', 'ops@example.com', '--agree-tos', '--directory-ca', path.join(caDir, 'ca.pem'));
    rmSync(caDir, { recursive: true, force: true });
    expect(registered).toMatchObject({ code: 0, stderr: '' });
    expect(registered.stdout).toMatch(/registered ACME account pebble at https:\/\/localhost:\d+\/dir \(https:\/\/localhost:\d+\/my-account\//);
    const accounts = await ctl('--json', 'certs', 'acme-accounts');
    expect(accounts.stdout).not.toMatch(/PRIVATE KEY/);

    const issuedByCli = await ctl('--json', 'certs', 'issue', 'site', '--account', 'pebble', '--listener', 'plain');
    expect(issuedByCli).toMatchObject({ code: 0, stderr: '' });
    await rest.close();
    const issued = ZCertificate.parse(JSON.parse(issuedByCli.stdout));
    expect(issued.names).toEqual([HOST]);
    expect(issued.issuer).toMatch(/Pebble Intermediate CA/);
    expect(issued.acme).toMatchObject({ account: 'pebble', renewBeforeDays: 30, lastError: null, failures: 0 });
    // The challenge was answered by the data plane (counted as the listener's own answer) and is gone now.
    expect(await t.db.prisma.acmeChallenge.count()).toBe(0);

    httpsPort = await freePort();
    await admin.listeners.create({ name: 'secure', address: '127.0.0.1', port: httpsPort, protocol: 'https', tls: { certificateIds: [issued.id] }, pool: 'app' });
    const trusted = new Agent({ ca: pebbleRoot, keepAlive: true, maxSockets: 1 });
    const first = await eventually(() => httpsGet(trusted).catch(() => undefined), 30_000, 'the https listener');
    expect(first.body).toBe('app https');
    expect(first.fingerprint).toBe(issued.fingerprint);

    // Renewal: the loop's clock moved into the 30-day window of the 90-day certificate (Let's Encrypt's shape).
    const renewer = new AcmeRenewer(t.db.prisma, { databaseUrl: t.db.url, now: () => new Date(new Date(issued.notAfter).getTime() - 5 * 86_400_000) });
    let stop = false;
    const failures: string[] = [];
    const fingerprints = new Set<string>();
    const keptAlive = new Set<number>();
    const traffic = (async () => {
      let n = 0;
      while (!stop && n < 5000) {
        n++;
        // A kept-alive connection opened before the renewal, and a new connection each time.
        const fresh = new Agent({ ca: pebbleRoot, keepAlive: false });
        const [old, neu] = await Promise.allSettled([httpsGet(trusted), httpsGet(fresh)]);
        for (const r of [old, neu]) if (r.status === 'rejected' || r.value.body !== 'app https') failures.push(r.status === 'rejected' ? String(r.reason) : r.value.body);
        if (old.status === 'fulfilled') keptAlive.add(old.value.localPort);
        if (neu.status === 'fulfilled') fingerprints.add(neu.value.fingerprint);
      }
    })();
    const pass = await renewer.renewDue();
    expect(pass).toMatchObject({ ran: true, outcomes: [{ certificate: 'site', outcome: { renewed: true } }] });
    const renewed = (await admin.certificates.get({ id: 'site' }))!;
    expect(renewed.version).toBe(issued.version + 1);
    expect(renewed.fingerprint).not.toBe(issued.fingerprint);
    await eventually(() => fingerprints.has(renewed.fingerprint), 30_000, 'the renewed certificate on new connections');
    stop = true;
    await traffic;
    expect(failures).toEqual([]);
    // The kept-alive connection stayed the one it was (the old handshake keeps its certificate).
    expect(keptAlive.size).toBe(1);
    expect(new X509Certificate(renewed.chain.split(/(?<=-----END CERTIFICATE-----)/)[0]!).serialNumber).not.toBe(
      new X509Certificate(issued.chain.split(/(?<=-----END CERTIFICATE-----)/)[0]!).serialNumber,
    );
    trusted.destroy();

    // Out of its window again: the next pass (at the real time) orders nothing.
    const later = new AcmeRenewer(t.db.prisma, { databaseUrl: t.db.url });
    expect(await later.renewDue()).toEqual({ ran: true, outcomes: [] });
    const events = await t.db.prisma.event.findMany({ where: { kind: 'certificate_acme' }, orderBy: { createdAt: 'asc' } });
    expect(events.map((e) => e.message)).toEqual([
      expect.stringMatching(/registered ACME account pebble/),
      expect.stringMatching(/certificate site \(localhost\) issued by ACME account pebble/),
      expect.stringMatching(/certificate site \(localhost\) renewed by ACME/),
    ]);
    expect(JSON.stringify(events)).not.toMatch(/PRIVATE KEY/);
  }, 180_000);
});
