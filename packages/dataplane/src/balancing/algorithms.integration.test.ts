import { request } from 'node:http';
import type { TPoolConfigInput } from '@fulcrum/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane } from '../dataplane';
import { type TestBackend, applyOnFreePort, get, holdOne, snapshotFor, startBackend, startHeldBackend, tally } from '../test-support';

// Each algorithm end to end: real backends, a real proxy, real client sockets. The exact
// sequences and distributions are in the unit tests beside each algorithm; these check that the
// proxy feeds them what they need (client address, hash key, live load, latency, weights).

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

type BackendSpec = { name: string; weight?: number; delayMs?: number };

/**
 * Backends answer in batches: each request is held until `batch` requests are held across all
 * of them, then all are answered. However slowly requests trickle in on a busy machine, every
 * batch is in flight at once when the balancer places it, as a concurrent load test means.
 */
async function proxyFor(specs: BackendSpec[], pool: Partial<TPoolConfigInput>, batch = 1) {
  const backends: TestBackend[] = [];
  const held: (() => void)[] = [];
  for (const s of specs) {
    const b = await startBackend(s.name, (req, res, self) => {
      req.resume();
      held.push(() => setTimeout(() => res.end(self.name), s.delayMs ?? 0));
      if (held.length >= batch) held.splice(0).forEach((answer) => answer());
    });
    cleanups.push(() => b.close());
    backends.push(b);
  }
  const dp = new Dataplane();
  cleanups.push(() => dp.stop());
  const port = await applyOnFreePort(dp, (p) =>
    snapshotFor(
      p,
      specs.map((s, i) => ({ name: s.name, port: backends[i]!.port, weight: s.weight })),
      pool,
    ),
  );
  return port;
}

/** A GET from a chosen loopback source address (all of 127.0.0.0/8 is local on Linux). */
function getFrom(port: number, localAddress: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', localAddress, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(body));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

async function sequential(port: number, n: number, headers: Record<string, string> = {}, path = '/'): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push((await get(port, path, headers)).body);
  return out;
}

/** `n` requests at a time, `rounds` times; what answered each. */
async function concurrent(port: number, n: number, rounds: number): Promise<string[]> {
  const out: string[] = [];
  for (let r = 0; r < rounds; r++) out.push(...(await Promise.all(Array.from({ length: n }, () => get(port).then((x) => x.body)))));
  return out;
}

describe('every algorithm through the proxy', () => {
  it('ip_hash keeps each client address on one backend and spreads addresses over the pool', async () => {
    const port = await proxyFor([{ name: 'a' }, { name: 'b' }, { name: 'c' }], { algorithm: 'ip_hash' });
    const owners = new Set<string>();
    for (let host = 1; host <= 24; host++) {
      const addr = `127.0.0.${host}`;
      const seen = new Set<string>();
      for (let i = 0; i < 3; i++) seen.add(await getFrom(port, addr));
      expect(seen.size, `client ${addr}`).toBe(1);
      owners.add([...seen][0]!);
    }
    expect(owners).toEqual(new Set(['a', 'b', 'c']));
  });

  it('ip_hash behind a trusted proxy keys on the real client address from X-Forwarded-For, and ignores it from anyone else', async () => {
    const behindProxy = await proxyFor([{ name: 'a' }, { name: 'b' }, { name: 'c' }], { algorithm: 'ip_hash', http: { trustedProxies: ['127.0.0.1'] } });
    const owners = new Set<string>();
    for (let host = 1; host <= 24; host++) {
      const xff = `198.51.100.${host}, 127.0.0.1`;
      const seen = new Set(await sequential(behindProxy, 3, { 'x-forwarded-for': xff }));
      expect(seen.size, `client ${xff}`).toBe(1);
      owners.add([...seen][0]!);
    }
    expect(owners).toEqual(new Set(['a', 'b', 'c']));

    // Not a trusted peer: whatever X-Forwarded-For says, the peer address is the key.
    const direct = await proxyFor([{ name: 'a' }, { name: 'b' }, { name: 'c' }], { algorithm: 'ip_hash' });
    const answers = new Set<string>();
    for (let host = 1; host <= 24; host++) answers.add((await get(direct, '/', { 'x-forwarded-for': `198.51.100.${host}` })).body);
    expect(answers.size).toBe(1);
  });

  it('consistent_hash by path keys on the whole request URI, query included (as $request_uri)', async () => {
    const port = await proxyFor([{ name: 'a' }, { name: 'b' }, { name: 'c' }], { algorithm: 'consistent_hash', hashKey: { source: 'path' } });
    const owners = new Set<string>();
    for (let i = 0; i < 24; i++) {
      const seen = new Set(await sequential(port, 3, {}, `/search?q=${i}`));
      expect(seen.size).toBe(1);
      owners.add([...seen][0]!);
    }
    expect(owners.size).toBeGreaterThan(1);
  });

  it('consistent_hash by path and by cookie keeps a key on one backend', async () => {
    const byPath = await proxyFor([{ name: 'a' }, { name: 'b' }, { name: 'c' }], { algorithm: 'consistent_hash', hashKey: { source: 'path' } });
    const pathOwners = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const seen = new Set(await sequential(byPath, 3, {}, `/item/${i}?q=${Math.random()}`));
      expect(seen.size).toBe(1);
      pathOwners.add([...seen][0]!);
    }
    expect(pathOwners.size).toBeGreaterThan(1);

    const byCookie = await proxyFor([{ name: 'a' }, { name: 'b' }, { name: 'c' }], { algorithm: 'consistent_hash', hashKey: { source: 'cookie', name: 'session' } });
    for (const session of ['s1', 's2', 's3', 's4']) {
      expect(new Set(await sequential(byCookie, 4, { cookie: `theme=dark; session=${session}` })).size).toBe(1);
    }
  });

  it('weighted_least_connections fills backends in proportion to their weights under concurrent load', async () => {
    const port = await proxyFor(
      [
        { name: 'heavy', weight: 3 },
        { name: 'light', weight: 1 },
      ],
      { algorithm: 'weighted_least_connections' },
      8,
    );
    const t = tally(await concurrent(port, 8, 5));
    expect((t.heavy ?? 0) + (t.light ?? 0)).toBe(40);
    // 3:1 in-flight share: 30 / 10 when exact; never the light one ahead.
    expect(t.heavy!).toBeGreaterThanOrEqual(24);
  });

  it('least_response_time moves traffic away from a slow backend', async () => {
    const port = await proxyFor(
      [
        // Slow enough that a stall of the machine on a fast answer never makes it look slower.
        { name: 'slow', delayMs: 500 },
        { name: 'fast', delayMs: 0 },
      ],
      { algorithm: 'least_response_time' },
    );
    await sequential(port, 6); // both answer a few times, so both have a latency average
    const t = tally(await sequential(port, 30));
    expect(t.fast ?? 0).toBeGreaterThanOrEqual(27);
  });

  it('p2c sends new requests to the less loaded of two', async () => {
    // Two backends: the two choices are always both, so the busy one is always avoided.
    const stuck = await startHeldBackend('stuck');
    const idle = await startBackend('idle');
    cleanups.push(
      () => stuck.close(),
      () => idle.close(),
    );
    const dp = new Dataplane();
    cleanups.push(() => dp.stop());
    const port = await applyOnFreePort(dp, (p) =>
      snapshotFor(
        p,
        [
          { name: 'stuck', port: stuck.port },
          { name: 'idle', port: idle.port },
        ],
        { algorithm: 'p2c' },
      ),
    );
    const held = await holdOne(port, stuck, idle);
    const t = tally(await sequential(port, 20));
    expect(t.idle).toBe(20);
    stuck.release();
    await Promise.all(held);
  });

  it('random follows the weights', async () => {
    const port = await proxyFor(
      [
        { name: 'big', weight: 4 },
        { name: 'small', weight: 1 },
      ],
      { algorithm: 'random' },
    );
    const t = tally(await sequential(port, 200));
    expect((t.big ?? 0) + (t.small ?? 0)).toBe(200);
    // Expected 160 / 40; the bounds are over 5 standard deviations wide.
    expect(t.big!).toBeGreaterThan(130);
    expect(t.big!).toBeLessThan(190);
  });

  it('least_connections and round_robin serve every request under concurrency', async () => {
    for (const algorithm of ['least_connections', 'round_robin'] as const) {
      const port = await proxyFor([{ name: 'a' }, { name: 'b' }, { name: 'c' }], { algorithm }, 9);
      const t = tally(await concurrent(port, 9, 4));
      expect(Object.keys(t).sort(), algorithm).toEqual(['a', 'b', 'c']);
      expect(Object.values(t).reduce((a, b) => a + b, 0)).toBe(36);
      expect(Math.min(...Object.values(t)), algorithm).toBeGreaterThanOrEqual(8);
    }
  });
});
