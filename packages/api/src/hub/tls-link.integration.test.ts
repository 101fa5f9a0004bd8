import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { CHANNEL_REVISION, type Prisma, notify } from '@fulcrum/db';
import { freePort, stopTestServer } from '@fulcrum/db/testing';
import { ControlPlaneClient, Dataplane, LastGoodConfig } from '@fulcrum/dataplane';
import { type TConfigSnapshot, type TSnapshotListener, certificateKeyRef } from '@fulcrum/protocol';
import { type TestLeaf, TestPki } from '@fulcrum/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../services/deploys/system-harness';
import { getCurrentSnapshot } from '../services/revisions/revisions';
import { type TestApi, createTestApi, listenHub } from '../test-support';
import { DataplaneHub } from './dataplane-hub';

let t: TestApi;
let hub: DataplaneHub;
let http: Server;
let hubUrl: string;
let backend: Server;
let pki: TestPki;
let leaf: TestLeaf;
const stateDir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-tls-link-'));
const stops: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  t = await createTestApi();
  hub = new DataplaneHub(t.db.prisma, { controlPlaneId: 'cp-tls', heartbeatMs: 500 });
  hub.start(t.db.url);
  ({ server: http, url: hubUrl } = await listenHub(hub));
  backend = createServer((req, res) => res.end(JSON.stringify({ proto: req.headers['x-forwarded-proto'] })));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  pki = await TestPki.create();
  leaf = await pki.leaf({ names: ['app.example.com'], ecdsa: true });
});

afterAll(async () => {
  for (const s of stops.reverse()) await s();
  await hub?.stop();
  http?.close();
  backend?.close();
  pki?.dispose();
  rmSync(stateDir, { recursive: true, force: true });
  await t?.db.drop();
  await stopTestServer();
});

describe('TLS over the link', () => {
  it('a data plane gets the key only over the link, serves https with it, and keeps it in a 0600 last-good file', async () => {
    const op = await t.as('operator');
    const pool = await op.pools.create({ name: 'web', listenHost: '127.0.0.1', listenPort: await freePort(), healthCheck: { enabled: false } as never });
    await op.backends.create({ poolId: pool.id, host: '127.0.0.1', port: (backend.address() as { port: number }).port } as never);
    const cert = await (await t.as('admin')).certificates.upload({ name: 'app', chain: leaf.chain, key: leaf.key });
    // An https listener in the revision data planes run (listeners get tables of their own on another branch).
    const current = (await getCurrentSnapshot(t.db.prisma)) as TConfigSnapshot;
    const port = await freePort();
    const edge: TSnapshotListener = {
      id: 'edge',
      name: 'edge',
      address: '127.0.0.1',
      port,
      protocol: 'https',
      idleMs: 60_000,
      http: { headTimeoutMs: 10_000, maxHeadBytes: 16_384, maxHeaders: 100, trustedProxies: [] },
      tls: { certificateIds: [cert.id], http2: false, minVersion: 'TLSv1.2' },
      routes: [
        {
          id: 'all',
          name: 'all',
          priority: 0,
          match: { hosts: [], path: { type: 'prefix', value: '/' }, methods: [], headers: [], query: [] },
          action: { type: 'pool', poolId: pool.id },
          headers: { request: [], response: [] },
        },
      ],
    };
    const version = current.version + 1;
    const snapshot = { ...current, version, hash: `${current.hash}-edge`, listeners: [...current.listeners, edge] };
    await t.db.prisma.configRevision.create({ data: { version, hash: snapshot.hash, snapshot: snapshot as unknown as Prisma.InputJsonValue, author: 'test', message: 'an https listener' } });
    await notify(t.db.prisma, CHANNEL_REVISION, String(version));
    expect(JSON.stringify((await t.db.prisma.configRevision.findUniqueOrThrow({ where: { version } })).snapshot)).not.toContain('PRIVATE KEY');

    const dp = new Dataplane({ runHealthChecks: false });
    const client = new ControlPlaneClient(dp, {
      url: hubUrl,
      token: await t.token('dataplane'),
      name: 'tls-dp',
      softwareVersion: 'test',
      lastGood: new LastGoodConfig(stateDir),
      backoffBaseMs: 50,
      backoffMaxMs: 400,
    });
    client.start();
    stops.push(
      () => client.stop(),
      () => dp.stop(),
    );
    await eventually(() => dp.version === version, 60_000);
    expect(dp.refusedPools).toEqual([]);

    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/', servername: 'app.example.com', headers: { host: 'app.example.com' }, ca: pki.ca, timeout: 10_000 }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(answer).toEqual({ status: 200, body: JSON.stringify({ proto: 'https' }) });

    const file = path.join(stateDir, 'last-good-config.json');
    await eventually(() => {
      try {
        return (JSON.parse(readFileSync(file, 'utf8')) as TConfigSnapshot).version === version;
      } catch {
        return false;
      }
    });
    const saved = JSON.parse(readFileSync(file, 'utf8')) as TConfigSnapshot;
    expect(saved.secrets?.[certificateKeyRef(cert.id)]?.trim()).toBe(leaf.key.trim());
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });
});
