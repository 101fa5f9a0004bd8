import { closePrisma, getPrisma } from '@fulcrum/db';
import { databaseBefore, sqlAt as sql, stopTestServer, testServer } from '@fulcrum/db/testing';
import { ZConfigSnapshot, ZSnapshotPoolV1 } from '@fulcrum/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import type { Actor } from '../../trpc';
import { deletePool, getPool } from '../pools/pools';
import { compileSnapshot } from '../revisions/snapshot-compiler';

const MIGRATION = '20261130210000_listeners_and_routes';
afterAll(async () => {
  await stopTestServer();
});

// Pools as a database before listeners held them: one with its own head limits, idle timeout
// and address, one tcp, one all defaults (empty JSON columns).
const pools = [
  {
    id: 'p-web',
    name: 'web',
    protocol: 'http',
    host: '0.0.0.0',
    port: 18080,
    http: { maxHeadBytes: 4096, trustedProxies: ['10.0.0.0/8'], exposeErrorDetails: true },
    timeouts: { idleMs: 5000, connectMs: 100 },
  },
  { id: 'p-db', name: 'db', protocol: 'tcp', host: '127.0.0.1', port: 15432, http: {}, timeouts: {} },
  { id: 'p-api', name: 'api', protocol: 'http', host: '0.0.0.0', port: 18081, http: {}, timeouts: { idleMs: 120000 } },
];

describe(`migration ${MIGRATION}`, () => {
  it('turns every pool port into a listener with a catch-all route: the compiled snapshot serves the same ports as before', async () => {
    const db = await databaseBefore((await testServer()).adminUrl, MIGRATION);
    const { url } = db;
    try {
      for (const p of pools) {
        await sql(
          url,
          `INSERT INTO "Pool" (id, name, protocol, "listenHost", "listenPort", "hashKey", "healthCheck", "outlierDetection", timeouts, retries, stickiness, http, "updatedAt") VALUES ($1, $2, $3::"PoolProtocol", $4, $5, '{}', '{}', '{}', $6, '{}', '{}', $7, now())`,
          [p.id, p.name, p.protocol, p.host, p.port, JSON.stringify(p.timeouts), JSON.stringify(p.http)],
        );
        await sql(url, `INSERT INTO "Backend" (id, "poolId", host, port, "updatedAt") VALUES ($1, $2, '127.0.0.1', $3, now())`, [`b-${p.id}`, p.id, p.port + 1000]);
      }
      // What the compiler made of these rows before: schema 1 pools, one listener each (upgraded as data planes read it).
      const rows = await sql<Record<string, unknown>>(url, `SELECT * FROM "Pool" ORDER BY name`);
      const before = ZConfigSnapshot.parse({
        version: 1,
        hash: 'before',
        pools: rows.map((r) => ZSnapshotPoolV1.parse({ ...r, backends: [{ id: `b-${String(r.id)}`, versionLabel: null, host: '127.0.0.1', port: pools.find((p) => p.id === r.id)!.port + 1000 }] })),
      });

      expect(await db.migrate()).toContain(MIGRATION);

      const prisma = getPrisma(url);
      try {
        const after = await prisma.$transaction((tx) => compileSnapshot(tx, 2));
        expect(after.listeners.map((l) => [l.name, l.address, l.port, l.protocol])).toEqual([
          ['api', '0.0.0.0', 18081, 'http'],
          ['db', '127.0.0.1', 15432, 'tcp'],
          ['web', '0.0.0.0', 18080, 'http'],
        ]);
        expect(after.listeners).toEqual(before.listeners);
        expect(after.pools).toEqual(before.pools);
        // The web pool's own head limits and idle timeout went with its port.
        expect(after.listeners.find((l) => l.name === 'web')).toMatchObject({ idleMs: 5000, http: { maxHeadBytes: 4096, trustedProxies: ['10.0.0.0/8'] } });
        // The pool API still shows each pool's port (its own listener's).
        expect(await getPool(prisma, 'db')).toMatchObject({ listenHost: '127.0.0.1', listenPort: 15432 });
        // The pool's own listener goes with the pool.
        await deletePool(prisma, { actor: { name: 'test' } as Actor, id: 'api', expectedVersion: 1 });
        expect(await prisma.listener.count({ where: { id: 'p-api' } })).toBe(0);
        expect(await prisma.route.count({ where: { id: 'p-api' } })).toBe(0);
      } finally {
        await closePrisma(url);
      }
    } finally {
      await db.drop();
    }
  });
});
