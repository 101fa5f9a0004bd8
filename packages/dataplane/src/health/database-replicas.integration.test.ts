import { type TConfigSnapshotV1, type TConfigSnapshotV2Input, ZBackendConfig, ZConfigSnapshotV1, ZPoolConfig, upgradeSnapshotV1 } from '@fulcrum/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dataplane } from '../dataplane';
import { eventually, freePort } from '../test-support';
import { type PostgresServer, hasPostgres, psqlAsync, startPostgresPair } from './database-test-servers';
import { probePostgres } from './postgres-probe';

/**
 * The guide's read/write split on real servers: a PostgreSQL primary and a streaming replica
 * (pg_basebackup -R), a `primary` and a `replicas` TCP pool in front of both, and a failover.
 */

const CHECK_PASSWORD = 'check-pw';
const MD5_PASSWORD = 'md5-pw';
const INTERVAL_MS = 500;
let pair: Awaited<ReturnType<typeof startPostgresPair>>;

beforeAll(async () => {
  pair = await startPostgresPair();
  // SCRAM (the default) for one check user, md5 for another; both reach the replica by replication.
  pair.primary.sql(`create role checker login password '${CHECK_PASSWORD}'`);
  pair.primary.sql(`set password_encryption = 'md5'; create role md5checker login password '${MD5_PASSWORD}'`);
  await eventually(() => pair.replica.sql("select count(*) from pg_roles where rolname = 'md5checker'").trim() === '1', 60_000);
}, 240_000);
afterAll(async () => {
  await pair?.cleanup();
});

const login = (server: PostgresServer, user = 'checker', password = CHECK_PASSWORD) => ({ host: '127.0.0.1', port: server.port, user, database: 'postgres', password, timeoutMs: 10_000 });

/** `select pg_is_in_recovery()` through a port with psql, as a Django connection would ask. */
const inRecoveryVia = (port: number) => psqlAsync(port, 'select pg_is_in_recovery()');

describe.skipIf(!hasPostgres())('PostgreSQL role checks against a real primary and streaming replica', () => {
  it('tell the primary from the replica, logging in with SCRAM-SHA-256 and with md5', async () => {
    expect(await probePostgres(login(pair.primary))).toMatchObject({ writable: true, lagSeconds: null });
    const replica = await probePostgres(login(pair.replica));
    expect(replica).toMatchObject({ writable: false, caughtUp: true });
    expect(await probePostgres(login(pair.replica, 'md5checker', MD5_PASSWORD))).toMatchObject({ writable: false });
  });

  it('fail with the server’s reason on a wrong password', async () => {
    await expect(probePostgres(login(pair.primary, 'checker', 'wrong'))).rejects.toThrow(/login refused: password authentication failed for user "checker" \(28P01\)/);
    await expect(probePostgres(login(pair.primary, 'md5checker', 'wrong'))).rejects.toThrow(/login refused: password authentication failed/);
  });

  it('route the primary pool to the primary and the replicas pool to the replica, and follow a promotion within one check interval', async () => {
    const primaryPort = await freePort();
    const replicasPort = await freePort();
    const backends = [pair.primary, pair.replica].map((s, i) => ({ ...ZBackendConfig.parse({ host: '127.0.0.1', port: s.port }), id: i === 0 ? 'pg-a' : 'pg-b' }));
    const pool = (name: string, port: number, role: 'primary' | 'replica') => ({
      ...ZPoolConfig.parse({
        name,
        protocol: 'tcp',
        listenHost: '127.0.0.1',
        listenPort: port,
        outlierDetection: { enabled: false },
        healthCheck: {
          type: 'postgres',
          intervalMs: INTERVAL_MS,
          timeoutMs: 3000,
          rise: 1,
          fall: 1,
          database: { role, maxLagSeconds: 30, user: 'checker', database: 'postgres', credentialId: 'cred-1' },
        },
      }),
      id: name,
      backends: backends.map((b) => ({ ...b, id: `${name}-${b.id}` })),
    });
    const v1: TConfigSnapshotV1 = ZConfigSnapshotV1.parse({ version: 1, hash: 'db-1', pools: [pool('primary', primaryPort, 'primary'), pool('replicas', replicasPort, 'replica')] });
    const snapshot: TConfigSnapshotV2Input = { ...upgradeSnapshotV1(v1), secrets: { 'credential/cred-1/password': CHECK_PASSWORD } };
    const dp = new Dataplane();
    try {
      const applied = await dp.applySnapshot(snapshot);
      expect(applied).toMatchObject({ ok: true, refused: [] });
      const health = () => Object.fromEntries(dp.backendViews().map((b) => [b.backendId, b.healthy]));
      await eventually(() => {
        const h = health();
        return h['primary-pg-a'] === true && h['primary-pg-b'] === false && h['replicas-pg-a'] === false && h['replicas-pg-b'] === true;
      }, 60_000);
      expect(await inRecoveryVia(primaryPort)).toBe('f');
      expect(await inRecoveryVia(replicasPort)).toBe('t');

      // Failover: the replica is promoted and the old primary goes away.
      pair.replica.sql('select pg_promote(true, 60)');
      const promotedAt = Date.now();
      await pair.primary.stop();
      await eventually(() => {
        const h = health();
        return h['primary-pg-b'] === true && h['primary-pg-a'] === false && h['replicas-pg-b'] === false;
      }, 60_000);
      const followedMs = Date.now() - promotedAt;
      console.log(`pools followed the promotion ${followedMs} ms after pg_promote (check interval ${INTERVAL_MS} ms, stop of the old primary included)`);
      expect(await inRecoveryVia(primaryPort)).toBe('f');
      expect(health()['replicas-pg-a']).toBe(false);
      const flips = dp.recentEvents.filter((e) => e.kind === 'health_flip').map((e) => e.message);
      expect(flips.some((m) => /primary is healthy: primary \(writable\)/.test(m))).toBe(true);
      expect(flips.some((m) => /replicas is unhealthy: writable: a primary, not a replica/.test(m))).toBe(true);
    } finally {
      await dp.stop();
    }
  });
});
