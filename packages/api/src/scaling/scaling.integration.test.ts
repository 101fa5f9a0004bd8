import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKEND_SCRIPT, driveTraffic, eventually } from '../services/deploys/system-harness';
import { scalingSuite } from './scaling-harness';

/** Evaluator ticks so far. */
let ticks = 0;
const suite = scalingSuite('scaling', 500, () => ticks++);

async function waitTicks(n: number): Promise<void> {
  const until = ticks + n;
  await eventually(() => ticks >= until, 120_000, `${n} evaluator ticks`);
}

// Deadlines only bound a hang: a loaded machine runs the same steps, later.
describe('autoscaling with the process provider', { timeout: 300_000 }, () => {
  it('refuses a rule with min above max, naming the field', async () => {
    const bad = await suite.sys.call('POST', '/pools/none/scaling-rules', {
      rule: { name: 'x', metric: 'rps_per_backend', scaleUpThreshold: 1, scaleDownThreshold: 2, minInstances: 5, maxInstances: 2, provider: { profile: '' } },
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.json.data.fieldErrors)).toEqual(expect.arrayContaining(['rule.maxInstances', 'rule.scaleDownThreshold', 'rule.provider.profile']));
  });

  it('scales a slow pool up under load within min/max through an admin’s process profile, and back down to min when idle', async () => {
    const script = path.join(suite.dir, 'backend.cjs');
    writeFileSync(script, BACKEND_SCRIPT);
    // The provider probes each port of its range before it starts an instance there.
    // The admin declares what may run; the operator's rule only picks it and sets the delay.
    await suite.sys.createProcessProfile('slow-node', [process.execPath, script, '{port}', 'scaled', 'slow={delay}'], { parameters: [{ name: 'delay', type: 'integer', min: 0, max: 1000 }] });
    const { listenPort } = await suite.sys.createPool({ name: 'api', algorithm: 'least_connections', drainTimeoutMs: 5000, healthCheck: { path: '/health', intervalMs: 200, rise: 1 } });
    const rule = {
      name: 'busy',
      metric: 'active_connections_per_backend',
      // Ten clients against 1 s answers: ~10 connections in flight, so over 2 per backend at every
      // size up to the maximum of three, even when a busy machine adds a second to each request.
      scaleUpThreshold: 2,
      scaleDownThreshold: 0.5,
      windowMs: 2000,
      cooldownMs: 2000,
      minInstances: 1,
      maxInstances: 3,
      step: 1,
      provider: { profile: 'slow-node', params: { delay: '1000' } },
    };
    const created = await suite.sys.call('POST', '/pools/api/scaling-rules', { rule });
    expect(created.status).toBe(200);

    let maxSeen = 0;
    let minSeenAfterStart = Infinity;
    const watch = setInterval(() => {
      void suite.sys.call('GET', '/pools/api/backends').then((r) => {
        const active = (r.json as { adminState: string }[]).filter((b) => b.adminState === 'active').length;
        maxSeen = Math.max(maxSeen, (r.json as unknown[]).length);
        if (maxSeen > 0) minSeenAfterStart = Math.min(minSeenAfterStart, active);
      });
    }, 200);
    try {
      await eventually(async () => ((await suite.sys.call('GET', '/pools/api/backends')).json as unknown[]).length === 1, 120_000, 'the minimum of one instance');

      await eventually(async () => (await fetch(`http://127.0.0.1:${listenPort}/`)).status === 200, 120_000, 'the data plane serving the pool');
      const load = Array.from({ length: 10 }, () => driveTraffic(listenPort));
      await eventually(
        async () => ((await suite.sys.call('GET', '/pools/api/backends')).json as { adminState: string }[]).filter((b) => b.adminState === 'active').length === 3,
        120_000,
        'three instances under load',
      );
      await waitTicks(10); // load holds on for longer than window + cooldown: it must stay at the maximum
      const tallies = await Promise.all(load.map((l) => l.stop()));
      expect(tallies.reduce((a, t) => a + t.ok, 0)).toBeGreaterThan(50);
      expect(tallies.reduce((a, t) => a + t.failed, 0)).toBe(0);

      await eventually(async () => ((await suite.sys.call('GET', '/pools/api/backends')).json as unknown[]).length === 1, 120_000, 'back to one instance when idle');
      await waitTicks(10); // idle holds on for longer than window + cooldown: it must stay at the minimum
      expect(((await suite.sys.call('GET', '/pools/api/backends')).json as unknown[]).length).toBe(1);
    } finally {
      clearInterval(watch);
    }
    expect(maxSeen).toBe(3);
    expect(minSeenAfterStart).toBeGreaterThanOrEqual(1);

    const events = (await suite.sys.call('GET', '/events?kind=scaling&limit=50')).json as { message: string; data: { from: number; to: number; value: number | null; metric: string } }[];
    const ups = events.filter((e) => e.message.startsWith('scale up'));
    const downs = events.filter((e) => e.message.startsWith('scale down'));
    expect(ups.length).toBeGreaterThanOrEqual(3);
    expect(downs.length).toBeGreaterThanOrEqual(2);
    for (const e of [...ups, ...downs]) {
      expect(e.data.to).toBeGreaterThanOrEqual(1);
      expect(e.data.to).toBeLessThanOrEqual(3);
      expect(e.data.metric).toBe('active_connections_per_backend');
    }
    expect(ups.some((e) => typeof e.data.value === 'number' && e.data.value > rule.scaleUpThreshold)).toBe(true);
    expect(downs.every((e) => typeof e.data.value === 'number' && e.data.value < 0.5)).toBe(true);
    const listed = (await suite.sys.call('GET', '/pools/api/scaling-rules')).json as { state: { instances: number } }[];
    expect(listed[0]?.state?.instances).toBe(1);
  });
});
