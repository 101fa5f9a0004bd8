import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../services/deploys/system-harness';
import { TailWatchLeases } from './tail-watch-leases';

const started: TailWatchLeases[] = [];
afterEach(async () => {
  for (const l of started.splice(0)) await l.stop();
});

/** Replicas whose announcements reach each other through an in-memory channel (NOTIFY reaches every listener, the sender too). */
function replicas(ids: string[], opts = { leaseMs: 15_000, renewMs: 5_000 }) {
  const sent: string[] = [];
  const changes = new Map(ids.map((id) => [id, 0]));
  const all: TailWatchLeases[] = [];
  for (const id of ids) {
    const l = new TailWatchLeases(
      id,
      async (p) => {
        sent.push(p);
        for (const other of all) other.heard(p);
      },
      () => changes.set(id, changes.get(id)! + 1),
      opts,
    );
    all.push(l);
    started.push(l);
  }
  return { all, sent, changes };
}

describe('live-tail watch leases', () => {
  it('a pool watched on one replica is watched elsewhere for the others, until released', () => {
    const { all, changes } = replicas(['a', 'b']);
    const [a, b] = all as [TailWatchLeases, TailWatchLeases];
    a.setLocal(['p1', 'p2']);
    expect(b.poolIds()).toEqual(['p1', 'p2']);
    expect(b.isWatchedElsewhere('p1')).toBe(true);
    expect(a.poolIds()).toEqual([]); // its own announcements are not someone else's watch
    expect(changes.get('b')).toBe(1);
    a.setLocal(['p2']);
    expect(b.poolIds()).toEqual(['p2']);
    expect(b.isWatchedElsewhere('p1')).toBe(false);
  });

  it('a replica shutting down releases its leases at once', async () => {
    const { all } = replicas(['a', 'b']);
    const [a, b] = all as [TailWatchLeases, TailWatchLeases];
    a.start();
    a.setLocal(['p1', 'p2']);
    expect(b.poolIds()).toEqual(['p1', 'p2']);
    await a.stop();
    expect(b.poolIds()).toEqual([]);
  });

  it('a lease not renewed (the replica killed) runs out; one renewed stays', async () => {
    const { all, changes } = replicas(['a', 'b', 'c'], { leaseMs: 2_000, renewMs: 100 });
    const [a, b, c] = all as [TailWatchLeases, TailWatchLeases, TailWatchLeases];
    b.start();
    a.setLocal(['p1']);
    c.setLocal(['p2']);
    c.start(); // c renews (a stall of up to 1.9 s is tolerated); a never does
    expect(b.poolIds()).toEqual(['p1', 'p2']);
    await eventually(() => changes.get('b')! >= 3 && !b.isWatchedElsewhere('p1'), 10_000, 'a lease running out');
    expect(b.poolIds()).toEqual(['p2']);
  });

  it('a replica that missed the announcements asks, and the others say what they hold', () => {
    const bus: TailWatchLeases[] = [];
    const send = async (p: string) => bus.forEach((l) => l.heard(p));
    const a = new TailWatchLeases('a', send, () => {});
    bus.push(a);
    a.setLocal(['p1']); // before c listens
    const c = new TailWatchLeases('c', send, () => {});
    bus.push(c);
    started.push(a, c);
    expect(c.poolIds()).toEqual([]);
    c.resync();
    expect(c.poolIds()).toEqual(['p1']);
  });

  it('ignores what is malformed, and keeps a bounded number of leases', () => {
    const { all } = replicas(['a']);
    const a = all[0]!;
    for (const bad of ['x', '{}', JSON.stringify({ cp: 'z', op: 'take', pools: ['p'] }), JSON.stringify({ cp: 'z', op: 'hold', pools: ['x'.repeat(65)] })]) a.heard(bad);
    expect(a.poolIds()).toEqual([]);
    for (let r = 0; r < 10; r++) a.heard(JSON.stringify({ cp: `r${r}`, op: 'hold', pools: Array.from({ length: 1000 }, (_, i) => `p${r}-${i}`) }));
    expect(a.poolIds().length).toBe(5_000);
  });

  it('splits a large set into notifications under NOTIFY’s 8000 bytes', () => {
    const { all, sent } = replicas(['a', 'b']);
    const pools = Array.from({ length: 900 }, (_, i) => `pool-${String(i).padStart(4, '0')}-${'x'.repeat(50)}`);
    all[0]!.setLocal(pools);
    expect(sent.length).toBeGreaterThan(1);
    for (const p of sent) expect(Buffer.byteLength(p)).toBeLessThan(8000);
    expect(all[1]!.poolIds()).toEqual(pools);
  });
});
