import { type Server, createServer } from 'node:net';
import { stopTestServer } from '@fulcrum/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SystemHarness, eventually, startSystem } from '../deploys/system-harness';
import { listRefusals } from './apply-results';
import { listAppliedRevisions } from './applied-revisions';

/**
 * A listener whose port another process holds: the refusal names the listener and its
 * address:port everywhere an operator looks (the data plane's status, the revision's apply
 * results, the events of the pools it serves and of the listener itself), not only a pool.
 */
let sys: SystemHarness;
const held: Server[] = [];

async function holdPort(): Promise<number> {
  const s = createServer((c) => c.destroy());
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  held.push(s);
  return (s.address() as { port: number }).port;
}

beforeAll(async () => {
  sys = await startSystem();
});

afterAll(async () => {
  await sys?.close();
  for (const s of held) await new Promise((r) => s.close(r));
  await stopTestServer();
});

describe('a listener that cannot bind', () => {
  it('is named with its address and port in the ack, the revision status and the events', async () => {
    const [sharedPort, redirectPort] = [await holdPort(), await holdPort()];
    for (const name of ['cats', 'dogs']) expect((await sys.call('POST', '/pools', { name, healthCheck: { enabled: false } })).status).toBe(200);
    expect((await sys.call('POST', '/listeners', { name: 'shared-edge', address: '127.0.0.1', port: sharedPort })).status).toBe(200);
    for (const pool of ['cats', 'dogs'])
      expect((await sys.call('POST', '/listeners/shared-edge/routes', { name: pool, match: { hosts: [`${pool}.example.com`] }, action: { type: 'pool', poolId: pool } })).status).toBe(200);
    expect((await sys.call('POST', '/listeners', { name: 'to-https', address: '127.0.0.1', port: redirectPort })).status).toBe(200);
    expect((await sys.call('POST', '/listeners/to-https/routes', { name: 'all', action: { type: 'redirect', status: 308, location: 'https://$host$request_uri' } })).status).toBe(200);
    const latest = (await sys.db.prisma.configRevision.findFirst({ orderBy: { version: 'desc' } }))!.version;
    await sys.startDataplane('edge-bind');

    const dp = await eventually(
      async () => {
        const d = await sys.db.prisma.dataplane.findFirst({ where: { name: 'edge-bind' } });
        return d?.appliedConfigVersion === latest && d.refusedPools ? d : undefined;
      },
      60_000,
      'the partial ack recorded',
    );
    const shared = `listener shared-edge: cannot listen on 127.0.0.1:${sharedPort}: EADDRINUSE`;
    const redirect = `listener to-https: cannot listen on 127.0.0.1:${redirectPort}: EADDRINUSE`;
    expect(dp.lastError).toContain(shared);
    expect(dp.lastError).toContain(redirect);
    // A listener that sends to no pool is not called a pool.
    expect(dp.lastError).not.toMatch(/pool listener/);

    // The revision's status: every refusal with the listener's name and address. The hub records
    // it (and then the events) after the data plane's row, which is what the wait above saw.
    const apply = await eventually(() => sys.db.prisma.revisionApply.findFirst({ where: { version: latest, dataplaneId: dp.id } }), 60_000, 'the apply result recorded');
    expect(apply?.state).toBe('partial');
    const refusedPools = apply!.refusedPools as { poolId: string; error: string; listener?: string }[];
    expect(refusedPools.map((r) => r.error).join('\n')).toContain(shared);
    expect(refusedPools.map((r) => r.error).join('\n')).toContain(redirect);
    // What the dashboard's revision status shows (stats.appliedRevisions), overall and per pool.
    const [status] = await listAppliedRevisions(sys.db.prisma, 1);
    expect(status!.refused.find((x) => x.dataplane === 'edge-bind')?.error).toContain(redirect);
    const cats = (await sys.db.prisma.pool.findFirstOrThrow({ where: { name: 'cats' } })).id;
    expect((await listRefusals(sys.db.prisma, [latest], cats))[0]?.error).toBe(shared);

    // Events: one on each pool the listener serves, and one for the listener that serves none.
    const events = await eventually(
      async () => {
        const list = await sys.db.prisma.event.findMany({ where: { kind: 'snapshot_refused', dataplaneId: dp.id }, include: { pool: { select: { name: true } } } });
        return ['cats', 'dogs'].every((pool) => list.some((e) => e.pool?.name === pool)) && list.some((e) => e.poolId === null) ? list : undefined;
      },
      60_000,
      'the refusal events recorded',
    );
    for (const pool of ['cats', 'dogs']) expect(events.find((e) => e.pool?.name === pool)?.message).toContain(shared);
    const own = events.filter((e) => e.poolId === null);
    expect(own.map((e) => e.message).join('\n')).toContain(redirect);
    expect(own.map((e) => e.message).join('\n')).not.toContain(shared);
  });
});
