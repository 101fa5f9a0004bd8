import { get as httpGet } from 'node:http';
import { type Socket, connect } from 'node:net';
import type { TConfigSnapshotV1 as TConfigSnapshot } from '@fulcrum/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane } from '../dataplane';
import { eventually, freePort, snapshotFor, startBackend } from '../test-support';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** One request on its own connection, closed after (a kept-alive one would count against the caps). */
function fetchOnce(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port, path: '/', agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    req.setTimeout(10_000, () => req.destroy(new Error('no answer in 10 s')));
    req.on('error', reject);
  });
}

/** `n` idle client connections; counts the ones the proxy closed. */
function openIdle(port: number, n: number) {
  const sockets: Socket[] = [];
  const state = { closedByPeer: 0 };
  for (let i = 0; i < n; i++) {
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.on('close', () => state.closedByPeer++);
    sockets.push(s);
  }
  cleanups.push(() => sockets.forEach((s) => s.destroy()));
  return { state, sockets, closeAll: () => sockets.forEach((s) => s.destroy()) };
}

describe('client connection caps (issue 12, item 12)', () => {
  it('closes connections over the per-listener and the total cap at once, and other pools keep serving', async () => {
    const b = await startBackend('b');
    cleanups.push(() => b.close());
    const [portA, portB] = [await freePort(), await freePort()];
    const dp = new Dataplane({ maxListenerConnections: 50, maxConnections: 80 });
    cleanups.push(() => dp.stop());
    const a = snapshotFor(portA, [{ name: 'b1', port: b.port }], { name: 'a' }, 'a');
    const bb = snapshotFor(portB, [{ name: 'b2', port: b.port }], { name: 'bb' }, 'bb');
    const snap: TConfigSnapshot = { version: 1, hash: 'caps', pools: [...a.pools, ...bb.pools] };
    expect(await dp.applySnapshot(snap)).toMatchObject({ ok: true, refused: [] });

    // 300 trickling clients on pool a: 50 are held, 250 are closed at accept.
    const flood = openIdle(portA, 300);
    await eventually(() => dp.connections().open === 50 && dp.connections().refused === 250, 30_000);
    await eventually(() => flood.state.closedByPeer === 250, 30_000);
    expect(dp.connections().listeners.find((l) => l.poolId === 'a')).toMatchObject({ open: 50, refused: 250 });

    // Pool bb still answers.
    expect(await fetchOnce(portB)).toBe('200 b');

    // Fill the process to its total of 80: 30 more on bb, then one more is refused.
    const more = openIdle(portB, 30);
    await eventually(() => dp.connections().open === 80, 30_000);
    await expect(fetchOnce(portB)).rejects.toThrow(/ECONNRESET|socket hang up|EPIPE/);
    expect(more.state.closedByPeer).toBe(0);

    // Room again once pool a's clients leave.
    flood.closeAll();
    await eventually(() => dp.connections().open === 30, 30_000);
    expect(await fetchOnce(portB)).toBe('200 b');
  });
});
