import type { Server } from 'node:http';
import { stopTestServer } from '@fulcrum/db/testing';
import { type TAccessRecord, type TControlToDataplane, WS_CLOSE } from '@fulcrum/protocol';
import { accessRecord } from '@fulcrum/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { eventually } from '../services/deploys/system-harness';
import { type TestApi, createTestApi, listenHub } from '../test-support';
import { DataplaneHub, setHub } from './dataplane-hub';

let t: TestApi;
let hub: DataplaneHub;
let http: Server;
let url: string;
let poolId: string;
let version: { version: number; hash: string };
const sockets: WebSocket[] = [];

/** A data plane speaking the protocol by hand, recording what the hub sends. */
async function dataplane(id: string) {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${await t.token('dataplane')}` } });
  sockets.push(ws);
  const received: TControlToDataplane[] = [];
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  ws.on('message', (d) => received.push(JSON.parse(d.toString()) as TControlToDataplane));
  ws.on('error', () => {});
  await new Promise<void>((r) => ws.on('open', () => r()));
  const send = (msg: unknown) => ws.send(JSON.stringify(msg));
  send({ type: 'hello', dataplaneId: id, name: id, softwareVersion: 'test', configVersion: version.version, configHash: version.hash });
  await eventually(() => received.some((m) => m.type === 'welcome'));
  const tails = () => received.filter((m): m is Extract<TControlToDataplane, { type: 'tail' }> => m.type === 'tail');
  return { ws, received, tails, closed, send };
}

// Now, and this test's pool: the hub passes lines only for pools of the config the data plane runs.
const line = (over: Partial<TAccessRecord> = {}): TAccessRecord => accessRecord({ time: new Date().toISOString(), poolId, ...over });

beforeAll(async () => {
  t = await createTestApi();
  hub = new DataplaneHub(t.db.prisma, { controlPlaneId: 'cp-test', heartbeatMs: 10_000 });
  hub.start(t.db.url);
  setHub(hub);
  ({ server: http, url } = await listenHub(hub));
  const op = await t.as('operator');
  poolId = (await op.pools.create({ name: 'web', listenHost: '127.0.0.1', listenPort: 18181, healthCheck: { enabled: false } as never })).id;
  const rev = (await t.db.prisma.configRevision.findFirst({ orderBy: { version: 'desc' } }))!;
  version = { version: rev.version, hash: rev.hash };
});

afterAll(async () => {
  sockets.forEach((s) => s.terminate());
  setHub(undefined);
  await hub.stop();
  http.close();
  await t.db.drop();
  await stopTestServer();
});

/** Reads a subscription's batches until `done` says enough (the generator is closed by the break). */
async function collect(stream: AsyncIterable<{ lines: TAccessRecord[]; dropped: number }>, done: (lines: TAccessRecord[], dropped: number) => boolean) {
  const lines: TAccessRecord[] = [];
  let dropped = 0;
  for await (const b of stream) {
    lines.push(...b.lines);
    dropped += b.dropped;
    if (done(lines, dropped)) break;
  }
  return { lines, dropped };
}

describe('live tail through the hub', () => {
  it('asks data planes for a pool only while an operator watches it, relays its lines and nothing of other pools', async () => {
    const dp = await dataplane('dp-tail');
    const op = await t.as('operator');
    expect(dp.tails()).toEqual([]);
    const stream = await op.tail.watch({ poolId });
    const reading = collect(stream, (lines) => lines.length >= 3);
    await eventually(() => dp.tails().at(-1)?.poolIds.includes(poolId) === true);
    dp.send({ type: 'tail_lines', lines: [line({ path: '/a' }), line({ poolId: 'someone-else', path: '/x' }), line({ path: '/b' }), line({ path: '/c' })], dropped: 0 });
    const got = await reading;
    expect(got.lines.map((l) => l.path)).toEqual(['/a', '/b', '/c']);
    // The last watcher left: the data plane is told to stop.
    await eventually(() => dp.tails().at(-1)?.poolIds.length === 0);
    dp.ws.close();
  });

  it('a data plane that connects while someone watches is asked at once', async () => {
    const op = await t.as('operator');
    const stream = await op.tail.watch({ poolId });
    const it = stream[Symbol.asyncIterator]();
    await it.next(); // the first, empty batch: the watch is registered
    const dp = await dataplane('dp-late');
    await eventually(() => dp.tails().at(-1)?.poolIds.includes(poolId) === true);
    await it.return?.(undefined);
    await eventually(() => dp.tails().at(-1)?.poolIds.length === 0);
    dp.ws.close();
  });

  it('says in every batch which data planes the tail covers: those linked to this replica', async () => {
    const dp = await dataplane('dp-cover');
    const op = await t.as('operator');
    const stream = await op.tail.watch({ poolId });
    const it = stream[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.value).toMatchObject({ lines: [], coverage: { here: expect.arrayContaining(['dp-cover']), elsewhere: [] } });
    await eventually(() => dp.tails().at(-1)?.poolIds.includes(poolId) === true);
    dp.send({ type: 'tail_lines', lines: [line({ path: '/covered' })], dropped: 0 });
    const next = await it.next();
    expect(next.value).toMatchObject({ lines: [expect.objectContaining({ path: '/covered' })], coverage: { here: expect.arrayContaining(['dp-cover']) } });
    await it.return?.(undefined);
    dp.ws.close();
  });

  it('enforces the 200 lines/s bound itself and passes on the dropped count', async () => {
    const dp = await dataplane('dp-flood');
    const op = await t.as('operator');
    const stream = await op.tail.watch({ poolId });
    const sent = 5 * 200;
    const reading = collect(stream, (lines, dropped) => lines.length + dropped >= sent + 7);
    await eventually(() => dp.tails().at(-1)?.poolIds.includes(poolId) === true);
    const start = Date.now();
    for (let m = 0; m < 5; m++) dp.send({ type: 'tail_lines', lines: Array.from({ length: 200 }, (_, i) => line({ path: `/${m}/${i}` })), dropped: m === 0 ? 7 : 0 });
    const got = await reading;
    const windows = Math.ceil((Date.now() - start) / 1000) + 1;
    expect(got.lines.length + got.dropped).toBe(sent + 7);
    expect(got.lines.length).toBeLessThanOrEqual(200 * windows);
    expect(got.dropped).toBeGreaterThanOrEqual(7);
    expect(hub.reports.dropped.tailLines).toBeGreaterThanOrEqual(sent - got.lines.length);
    dp.ws.close();
  });

  it('asks data planes for at most the 1000 pools the link takes, the real ones watched first: an operator opening watches on made-up pools cannot silence the tail', async () => {
    const dp = await dataplane('dp-many');
    const op = await t.as('operator');
    const open = async (id: string) => {
      const it = (await op.tail.watch({ poolId: id }))[Symbol.asyncIterator]();
      await it.next();
      return it;
    };
    const watches = [await open(poolId)];
    for (let i = 0; i < 1000; i++) watches.push(await open(`made-up-${i}`));
    await eventually(() => dp.tails().some((m) => m.poolIds.length === 1000));
    // The data plane drops a message the protocol refuses (over 1000 pools): it would keep the last set it took, and never be told to stop.
    expect(dp.tails().every((m) => m.poolIds.length <= 1000)).toBe(true);
    expect(dp.tails().at(-1)!.poolIds[0]).toBe(poolId);
    await Promise.all(watches.map((it) => it.return?.(undefined)));
    await eventually(() => dp.tails().at(-1)?.poolIds.length === 0, 30_000);
    dp.ws.close();
  });

  it('closes a data plane that sends more lines in one message than the protocol allows', async () => {
    const dp = await dataplane('dp-hostile');
    dp.send({ type: 'tail_lines', lines: Array.from({ length: 201 }, () => line()), dropped: 0 });
    expect(await dp.closed).toMatchObject({ code: WS_CLOSE.badMessage });
  });

  it('is for operators and admins only: viewers may not read client addresses and paths', async () => {
    const viewer = await t.as('viewer');
    await expect(async () => {
      const stream = await viewer.tail.watch({ poolId });
      for await (const _ of stream) break;
    }).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
