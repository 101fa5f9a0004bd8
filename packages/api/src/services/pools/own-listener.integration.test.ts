import { stopTestServer } from '@fulcrum/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApi, createTestApi } from '../../test-support';

let t: TestApi;

beforeAll(async () => {
  t = await createTestApi();
});

afterAll(async () => {
  await t.db.drop();
  await stopTestServer();
});

describe("a pool's own listener", () => {
  it('keeps what was set on the listener itself through pool updates; the pool writes only the listener fields its update changes', async () => {
    const op = await t.as('operator');
    const pool = await op.pools.create({ name: 'own', listenHost: '127.0.0.1', listenPort: 18350, healthCheck: { enabled: false } as never });
    const made = await op.listeners.get({ id: 'own' });
    expect(made).toMatchObject({ port: 18350, idleMs: pool.timeouts.idleMs, http: { maxHeaders: pool.http.maxHeaders } });

    // Edited on the listener page: head limits and idle timeout of the listener only.
    const edited = await op.listeners.update({ id: made.id, expectedVersion: made.version, patch: { http: { ...made.http, maxHeaders: 20, headTimeoutMs: 4000 }, idleMs: 7000 } });
    expect(edited).toMatchObject({ idleMs: 7000, http: { maxHeaders: 20, headTimeoutMs: 4000 } });

    // A pool update that has nothing to do with the listener leaves it as it was edited.
    const p2 = await op.pools.update({ id: pool.id, expectedVersion: pool.version, patch: { algorithm: 'least_connections' } });
    const after = await op.listeners.get({ id: made.id });
    expect(after).toMatchObject({ idleMs: 7000, http: { maxHeaders: 20, headTimeoutMs: 4000 }, port: 18350, version: edited.version });

    // One that changes a listener field (the port, one head limit) writes that field and nothing else.
    const p3 = await op.pools.update({ id: pool.id, expectedVersion: p2.version, patch: { listenPort: 18351, http: { maxHeadBytes: 16_384 } } });
    expect(p3.listenPort).toBe(18351);
    const moved = await op.listeners.get({ id: made.id });
    expect(moved).toMatchObject({ port: 18351, idleMs: 7000, http: { maxHeaders: 20, headTimeoutMs: 4000, maxHeadBytes: 16_384 } });

    // The pool's idle timeout, when it changes, reaches its listener.
    await op.pools.update({ id: pool.id, expectedVersion: p3.version, patch: { timeouts: { idleMs: 9000 } } });
    expect((await op.listeners.get({ id: made.id })).idleMs).toBe(9000);
  });
});
