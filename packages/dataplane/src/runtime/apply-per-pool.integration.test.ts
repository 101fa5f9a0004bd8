import { type Server, type Socket, connect, createServer } from 'node:net';
import type { TConfigSnapshotV1 as TConfigSnapshot } from '@fulcrum/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane } from '../dataplane';
import { eventually, freePort, get, snapshotFor, startBackend } from '../test-support';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function newDataplane() {
  const dp = new Dataplane();
  cleanups.push(() => dp.stop());
  return dp;
}

/** Another process's socket on a port: a plain listener nobody in the data plane owns. */
async function holdPort(host = '127.0.0.1'): Promise<{ port: number; release: () => Promise<void> }> {
  const srv: Server = createServer((s) => s.destroy());
  await new Promise<void>((r) => srv.listen(0, host, r));
  let released = false;
  const release = () => (released ? Promise.resolve() : ((released = true), new Promise<void>((r) => srv.close(() => r()))));
  cleanups.push(release);
  return { port: (srv.address() as { port: number }).port, release };
}

/** Two pools in one snapshot, ids web and api. */
function twoPools(web: TConfigSnapshot, api: TConfigSnapshot, version: number): TConfigSnapshot {
  return { version, hash: `two-${version}-${Math.random()}`, pools: [...web.pools, ...api.pools] };
}

async function echoServer(name: string): Promise<{ port: number }> {
  const srv = createServer((s) => s.on('data', (d) => s.write(`${name}:${d.toString()}`)));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise((r) => srv.close(r)));
  return { port: (srv.address() as { port: number }).port };
}

function tcpRoundTrip(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s: Socket = connect(port, '127.0.0.1', () => s.write(text));
    s.setTimeout(10_000, () => s.destroy(new Error('no answer')));
    s.once('data', (d) => {
      resolve(d.toString());
      s.destroy();
    });
    s.once('error', reject);
  });
}

describe('applying per pool (issue 12, item 5)', () => {
  it('refuses only the pool whose port another process holds: the other pools apply, a backend disabled there stops getting traffic', async () => {
    const [a1, a2, w] = await Promise.all([startBackend('a1'), startBackend('a2'), startBackend('w')]);
    cleanups.push(
      () => a1.close(),
      () => a2.close(),
      () => w.close(),
    );
    const [webPort, apiPort] = [await freePort(), await freePort()];
    const dp = newDataplane();
    const web = (port: number) => snapshotFor(port, [{ name: 'w', port: w.port }], { name: 'web' }, 'web');
    const api = (disabled: boolean) =>
      snapshotFor(
        apiPort,
        [
          { name: 'a1', port: a1.port, adminState: disabled ? 'disabled' : 'active' },
          { name: 'a2', port: a2.port },
        ],
        { name: 'api' },
        'api',
      );
    expect(await dp.applySnapshot(twoPools(web(webPort), api(false), 1))).toMatchObject({ ok: true, refused: [] });

    // web moves to a port another process holds while an operator disables a1 in api.
    const held = await holdPort();
    const result = await dp.applySnapshot(twoPools(web(held.port), api(true), 2));
    expect(result).toMatchObject({ ok: true, version: 2, refused: [{ poolId: 'web', pool: 'web', keptPrevious: true }] });
    expect(result.ok && result.refused[0]!.error).toMatch(new RegExp(`listener web: cannot listen on 127.0.0.1:${held.port}: EADDRINUSE`));
    expect(dp.version).toBe(2);
    const bodies = await Promise.all(Array.from({ length: 20 }, () => get(apiPort).then((r) => r.body)));
    expect(bodies.every((b) => b === 'a2')).toBe(true);
    // web keeps serving its previous config on its previous port.
    expect((await get(webPort)).body).toBe('w');
    expect(dp.snapshot!.listeners.find((l) => l.id === 'web')!.port).toBe(webPort);
    expect(dp.refusedPools.map((r) => r.pool)).toEqual(['web']);

    // The wedge blocks nothing later: a further api change applies too.
    expect(await dp.applySnapshot(twoPools(web(held.port), api(false), 3))).toMatchObject({ ok: true, refused: [{ pool: 'web' }] });
    await eventually(async () => (await Promise.all(Array.from({ length: 10 }, () => get(apiPort).then((r) => r.body)))).includes('a1'));

    // Once the port is free, the same snapshot again moves web there.
    await held.release();
    expect(await dp.applySnapshot(twoPools(web(held.port), api(false), 3))).toMatchObject({ ok: true, refused: [] });
    expect((await get(held.port)).body).toBe('w');
    await expect(get(webPort)).rejects.toThrow();
  });

  it('rebinds a port for a new protocol and then a new listen host', async () => {
    const w = await startBackend('w');
    const echo = await echoServer('echo');
    cleanups.push(() => w.close());
    const port = await freePort();
    const dp = newDataplane();
    await dp.applySnapshot(snapshotFor(port, [{ name: 'w', port: w.port }], { name: 'p' }, 'p'));
    expect((await get(port)).body).toBe('w');

    const asTcp = await dp.applySnapshot(snapshotFor(port, [{ name: 'e', port: echo.port }], { name: 'p', protocol: 'tcp' }, 'p'));
    expect(asTcp).toMatchObject({ ok: true, refused: [] });
    expect(await tcpRoundTrip(port, 'hi')).toBe('echo:hi');

    const anyHost = await dp.applySnapshot(snapshotFor(port, [{ name: 'e', port: echo.port }], { name: 'p', protocol: 'tcp', listenHost: '0.0.0.0' }, 'p'));
    expect(anyHost).toMatchObject({ ok: true, refused: [] });
    expect(await tcpRoundTrip(port, 'again')).toBe('echo:again');
    expect(dp.snapshot!.listeners[0]!.address).toBe('0.0.0.0');
  });

  it('reports a new pool that cannot bind as down, and the pools beside it serve', async () => {
    const w = await startBackend('w');
    cleanups.push(() => w.close());
    const held = await holdPort();
    const okPort = await freePort();
    const dp = newDataplane();
    const snap = twoPools(snapshotFor(held.port, [{ name: 'x', port: w.port }], { name: 'blocked' }, 'blocked'), snapshotFor(okPort, [{ name: 'w', port: w.port }], { name: 'fine' }, 'fine'), 1);
    const result = await dp.applySnapshot(snap);
    expect(result).toMatchObject({ ok: true, refused: [{ pool: 'blocked', keptPrevious: false }] });
    expect((await get(okPort)).body).toBe('w');
    // The pool runs; its listener is the part that is down.
    expect(dp.snapshot!.listeners.map((l) => l.name)).toEqual(['fine']);
    // What runs is not what was received, so the same snapshot again is tried, not skipped.
    expect(dp.hash).not.toBe(snap.hash);
    expect(await dp.applySnapshot(snap)).toMatchObject({ ok: true, refused: [{ pool: 'blocked' }] });
    await held.release();
    expect(await dp.applySnapshot(snap)).toMatchObject({ ok: true, refused: [] });
    expect((await get(held.port)).body).toBe('w');
  });
});
