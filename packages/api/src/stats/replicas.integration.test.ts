import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stopTestServer } from '@fulcrum/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getHub } from '../hub/dataplane-hub';
import { BACKEND_SCRIPT, type SystemHarness, driveTraffic, eventually } from '../services/deploys/system-harness';
import { startScalingSystem } from '../scaling/scaling-harness';

/**
 * Two control-plane replicas on one PostgreSQL: the first (a process of its own) holds the data
 * plane's link; this process is the second, with the REST API, the deploy runner and the scaling
 * evaluator, and no data plane. Its gates and rules must see the traffic all the same.
 */
let sys: SystemHarness;
const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-replicas-'));

beforeAll(async () => {
  sys = await startScalingSystem(300);
  const first = await sys.startReplica('cp-first');
  await sys.startDataplane('edge-first', first);
});

afterAll(async () => {
  await sys?.close();
  await stopTestServer();
  rmSync(dir, { recursive: true, force: true });
});

type Deploy = { status: string; error: string | null; steps: { name: string; status: string; detail: { requests?: number; observed?: boolean; minRequests?: number } }[] };

async function waitDeploy(id: string): Promise<Deploy> {
  return eventually(
    async () => {
      const d = (await sys.call('GET', `/deploys/${id}`)).json as Deploy;
      return ['succeeded', 'failed', 'aborted', 'rolled_back'].includes(d.status) ? d : undefined;
    },
    180_000,
    `deploy ${id} to end`,
  );
}

// Deadlines only bound a hang: a loaded machine runs the same steps, later.
describe('stats across control-plane replicas', { timeout: 600_000 }, () => {
  it('a data plane linked to the first replica: the second shows its live stats, and its deploy gate counts its requests', async () => {
    const { id: poolId, listenPort } = await sys.createPool({ name: 'shop', algorithm: 'weighted_round_robin', healthCheck: { path: '/health', intervalMs: 200, rise: 1, fall: 2 } });
    const v1 = await sys.startBackend('v1');
    expect((await sys.call('POST', '/pools/shop/backends', { host: '127.0.0.1', port: v1.port, versionLabel: 'v1' })).status).toBe(200);
    await eventually(async () => (await fetch(`http://127.0.0.1:${listenPort}/`).then((r) => r.text())) === 'v1', 60_000, 'the pool serving v1');
    expect(getHub()!.connectedIds()).toEqual([]);

    const traffic = driveTraffic(listenPort);
    try {
      // The live store of this replica, which holds no data plane, fills with the first's frames.
      await eventually(
        () =>
          getHub()!
            .stats.recent(poolId, 10)
            .some((s) => Object.values(s.backends).some((b) => b.requests > 0)),
        60_000,
        'the second replica seeing traffic',
      );
      // Its name is read from the database after its first frame arrives here (shown by id until then).
      await eventually(
        () =>
          getHub()!
            .dataplaneLinks()
            .some((d) => d.name === 'edge-first'),
        60_000,
        'the second replica naming the data plane',
      );
      // A tail opened here covers that data plane too, through the other replica (live-tail-replicas.integration.test.ts).
      expect(getHub()!.tailCoverage()).toEqual({ here: [], elsewhere: ['edge-first'], unreachable: [], notificationsDownSince: null });

      const v2 = await sys.startBackend('v2');
      const started = await sys.call('POST', '/pools/shop/deploys', {
        version: 'v2',
        backends: [{ host: '127.0.0.1', port: v2.port }],
        strategy: 'canary',
        steps: [50, 100],
        stepPauseMs: 2000,
        drainTimeoutMs: 2000,
      });
      expect(started.status).toBe(200);
      const final = await waitDeploy(started.json.id);
      expect(final.error).toBeNull();
      expect(final.status).toBe('succeeded');
      const gate = final.steps.find((s) => s.name === 'gate 50%')!;
      expect(gate.detail.observed).toBe(true);
      expect(gate.detail.requests).toBeGreaterThan(0);
    } finally {
      await traffic.stop();
    }
  });

  it('a gate with no traffic to the new version does not pass on health checks: it waits, then fails and rolls back', async () => {
    const { listenPort } = await sys.createPool({ name: 'quiet', algorithm: 'weighted_round_robin', healthCheck: { path: '/health', intervalMs: 200, rise: 1, fall: 2 } });
    const v1 = await sys.startBackend('q1');
    expect((await sys.call('POST', '/pools/quiet/backends', { host: '127.0.0.1', port: v1.port, versionLabel: 'q1' })).status).toBe(200);
    await eventually(async () => (await fetch(`http://127.0.0.1:${listenPort}/`).then((r) => r.text())) === 'q1', 60_000, 'the pool serving q1');
    const v2 = await sys.startBackend('q2');
    const started = await sys.call('POST', '/pools/quiet/deploys', { version: 'q2', backends: [{ host: '127.0.0.1', port: v2.port }], steps: [50, 100], stepPauseMs: 500, trafficTimeoutMs: 1500 });
    expect(started.status).toBe(200);
    const final = await waitDeploy(started.json.id);
    expect(final.status).toBe('rolled_back');
    expect(final.error).toMatch(/gate 50% failed: no traffic to judge: version q2 answered 0 of the 1 request/);
    expect(final.steps.find((s) => s.name === 'gate 50%')).toMatchObject({ status: 'failed', detail: { requests: 0, minRequests: 1 } });

    // Asked for explicitly, a gate passes on health checks alone, and says so.
    const again = await sys.call('POST', '/pools/quiet/deploys', {
      version: 'q2',
      backends: [{ host: '127.0.0.1', port: v2.port }],
      steps: [100],
      stepPauseMs: 500,
      drainTimeoutMs: 500,
      minRequests: 0,
    });
    const ok = await waitDeploy(again.json.id);
    expect(ok.status).toBe('succeeded');
    expect(ok.steps.find((s) => s.name === 'gate 100%')).toMatchObject({ status: 'passed', detail: { requests: 0, minRequests: 0 } });
  });

  it("a scaling rule evaluated on the second replica scales on the first replica's data plane's traffic", async () => {
    const script = path.join(dir, 'backend.cjs');
    writeFileSync(script, BACKEND_SCRIPT);
    await sys.createProcessProfile('node-backend', [process.execPath, script, '{port}', 'scaled', 'ok']);
    const { listenPort } = await sys.createPool({ name: 'api', algorithm: 'round_robin', healthCheck: { path: '/health', intervalMs: 200, rise: 1 } });
    // Any traffic at all is over 1 request/s per backend: the rule scales up once it sees it.
    const rule = {
      name: 'rps',
      metric: 'rps_per_backend',
      scaleUpThreshold: 1,
      scaleDownThreshold: 0,
      windowMs: 1000,
      cooldownMs: 1000,
      minInstances: 1,
      maxInstances: 2,
      step: 1,
      provider: { profile: 'node-backend' },
    };
    expect((await sys.call('POST', '/pools/api/scaling-rules', { rule })).status).toBe(200);
    await eventually(async () => ((await sys.call('GET', '/pools/api/backends')).json as unknown[]).length === 1, 120_000, 'the minimum of one instance');
    await eventually(async () => (await fetch(`http://127.0.0.1:${listenPort}/`)).status === 200, 120_000, 'the data plane serving the pool');
    const traffic = driveTraffic(listenPort);
    try {
      await eventually(async () => ((await sys.call('GET', '/pools/api/backends')).json as unknown[]).length === 2, 120_000, 'a second instance, decided on the second replica');
    } finally {
      await traffic.stop();
    }
    const events = (await sys.call('GET', '/events?kind=scaling&limit=50')).json as { message: string; data: { value: number | null; metric: string } }[];
    // The minimum's instance is started without a value; the second on the traffic it saw.
    expect(events.some((e) => e.message.startsWith('scale up') && e.data.metric === 'rps_per_backend' && (e.data.value ?? 0) > 1)).toBe(true);
  });
});
