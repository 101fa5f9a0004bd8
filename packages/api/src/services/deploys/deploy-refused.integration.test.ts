import { type Server, createServer } from 'node:net';
import { freePort, stopTestServer } from '@fulcrum/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type SystemHarness, eventually, startSystem } from './system-harness';

/**
 * Issue 12, item 5: a pool whose port another process holds. Its data plane applies every other
 * pool's changes and names that pool in a partial ack; the hub records it; a deploy on that pool
 * stops and rolls back instead of draining and removing backends the data plane still uses.
 */
let sys: SystemHarness;
let held: Server;
let heldPort: number;
let otherPort: number;

beforeAll(async () => {
  sys = await startSystem();
  held = createServer((s) => s.destroy());
  await new Promise<void>((r) => held.listen(0, '127.0.0.1', r));
  heldPort = (held.address() as { port: number }).port;
  otherPort = await freePort();
});

afterAll(async () => {
  await sys?.close();
  await new Promise((r) => held?.close(r));
  await stopTestServer();
});

const bodiesFrom = async (port: number, n: number) => {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text()));
  return out;
};

describe('a pool whose listener cannot bind', () => {
  it('blocks no other pool, is recorded by the hub, and makes a deploy on it roll back', async () => {
    const hc = { path: '/health', intervalMs: 200, rise: 1, fall: 2 };
    expect((await sys.call('POST', '/pools', { name: 'other', listenHost: '127.0.0.1', listenPort: otherPort, healthCheck: hc })).status).toBe(200);
    expect((await sys.call('POST', '/pools', { name: 'shop', listenHost: '127.0.0.1', listenPort: heldPort, healthCheck: hc })).status).toBe(200);
    const [o1, o2, v1] = [await sys.startBackend('o1'), await sys.startBackend('o2'), await sys.startBackend('v1')];
    const b1 = await sys.call('POST', '/pools/other/backends', { host: '127.0.0.1', port: o1.port });
    expect((await sys.call('POST', '/pools/other/backends', { host: '127.0.0.1', port: o2.port })).status).toBe(200);
    expect((await sys.call('POST', '/pools/shop/backends', { host: '127.0.0.1', port: v1.port, versionLabel: 'v1' })).status).toBe(200);
    await sys.startDataplane('edge-1');

    await eventually(async () => new Set(await bodiesFrom(otherPort, 6)).size === 2, 60_000, 'pool other serving o1 and o2');
    const shop = (await sys.call('GET', '/pools/shop')).json as { id: string };
    const row = await eventually(
      async () => {
        const d = await sys.db.prisma.dataplane.findFirst({ where: { name: 'edge-1' } });
        return d?.refusedPools ? d : undefined;
      },
      30_000,
      'the partial ack recorded',
    );
    expect(row.refusedPools).toEqual([expect.objectContaining({ poolId: shop.id, pool: 'shop', keptPrevious: false })]);
    expect(row.lastError).toMatch(new RegExp(`pool shop \\(down\\): listener shop: cannot listen on 127.0.0.1:${heldPort}: EADDRINUSE`));
    const latest = await sys.db.prisma.configRevision.findFirst({ orderBy: { version: 'desc' } });
    expect(row.appliedConfigVersion).toBe(latest!.version);
    const listed = (await sys.call('GET', '/dataplanes')).json as { name: string; refusedPools: { pool: string; keptPrevious: boolean }[] }[];
    expect(listed.find((d) => d.name === 'edge-1')!.refusedPools).toEqual([expect.objectContaining({ pool: 'shop', keptPrevious: false })]);

    // The wedge blocks nothing elsewhere: disabling o1 takes effect at once.
    const disabled = await sys.call('PATCH', `/backends/${b1.json.id}`, { expectedVersion: b1.json.version, patch: { adminState: 'disabled' } });
    expect(disabled.status).toBe(200);
    await eventually(async () => (await sys.db.prisma.dataplane.findFirst({ where: { name: 'edge-1' } }))?.appliedConfigVersion === latest!.version + 1, 30_000, 'the disable applied');
    expect(new Set(await bodiesFrom(otherPort, 20))).toEqual(new Set(['o2']));

    // A deploy on the refused pool stops at its first shift and puts everything back.
    const v2 = await sys.startBackend('v2');
    const started = await sys.call('POST', '/pools/shop/deploys', { version: 'v2', backends: [{ host: '127.0.0.1', port: v2.port }], strategy: 'bluegreen', stepPauseMs: 500, drainTimeoutMs: 2000 });
    expect(started.status).toBe(200);
    const final = await eventually(
      async () => {
        const d = (await sys.call('GET', `/deploys/${started.json.id}`)).json as { status: string; error: string | null; steps: { name: string; status: string }[] };
        return ['succeeded', 'failed', 'aborted', 'rolled_back'].includes(d.status) ? d : undefined;
      },
      90_000,
      'the deploy to end',
    );
    expect(final.status).toBe('rolled_back');
    expect(final.error).toMatch(/refused by data plane edge-1 .*pool shop/);
    expect(final.steps.find((s) => s.name === 'switch')).toMatchObject({ status: 'failed' });
    expect(final.steps.map((s) => s.name)).not.toContain('remove old');
    const backends = (await sys.call('GET', '/pools/shop/backends')).json as { port: number; adminState: string }[];
    expect(backends).toEqual([expect.objectContaining({ port: v1.port, adminState: 'active' })]);
  });
});
