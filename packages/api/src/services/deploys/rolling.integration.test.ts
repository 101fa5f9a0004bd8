import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stopTestServer } from '@fulcrum/db/testing';
import type { TDeployRecord } from '@fulcrum/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ProcessProvider } from '../../scaling/providers';
import { processGroupMembers } from '../../scaling/providers/proc-stat';
import { startScalingSystem } from '../../scaling/scaling-harness';
import { BACKEND_SCRIPT, FULCRUMCTL, deployEnded, driveTraffic, eventually } from './system-harness';

let sys: Awaited<ReturnType<typeof startScalingSystem>>;
let listenPort: number;
const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-rolling-'));

interface BackendRow {
  port: number;
  adminState: string;
  versionLabel: string | null;
}

beforeAll(async () => {
  sys = await startScalingSystem(300);
  await sys.startDataplane();
  const script = path.join(dir, 'backend.cjs');
  writeFileSync(script, BACKEND_SCRIPT);
  // The version is the backend's name and its mode: `sick` never passes health, `fail` answers 500.
  await sys.createProcessProfile('versioned', [process.execPath, script, '{port}', '{version}', '{version}'], {
    ports: 60,
    parameters: [{ name: 'version', type: 'string', pattern: '[a-z0-9.]{1,16}' }],
  });
  ({ listenPort } = await sys.createPool({ name: 'roll', healthCheck: { path: '/health', intervalMs: 300, timeoutMs: 2000, rise: 1, fall: 2 }, drainTimeoutMs: 3000 }));
  const rule = {
    name: 'fleet',
    metric: 'rps_per_backend',
    scaleUpThreshold: 1e6,
    scaleDownThreshold: 0,
    minInstances: 2,
    maxInstances: 6,
    provider: { profile: 'versioned', params: { version: 'v1' } },
  };
  expect((await sys.call('POST', '/pools/roll/scaling-rules', { rule })).status).toBe(200);
  await eventually(async () => ((await sys.call('GET', '/pools/roll/backends')).json as BackendRow[]).filter((b) => b.adminState === 'active').length === 2, 120_000, 'two v1 instances');
  await eventually(async () => (await fetch(`http://127.0.0.1:${listenPort}/`)).status === 200, 120_000, 'the pool serving');
}, 300_000);

afterAll(async () => {
  await sys?.close();
  await stopTestServer();
  rmSync(dir, { recursive: true, force: true });
});

async function deployed(body: Record<string, unknown>): Promise<TDeployRecord> {
  const started = await sys.call('POST', '/pools/roll/deploys', { strategy: 'rolling', stepPauseMs: 1000, healthyTimeoutMs: 15_000, drainTimeoutMs: 3000, ...body });
  expect(started.status, JSON.stringify(started.json)).toBe(200);
  return deployEnded(sys, started.json.id);
}

const backends = async () => (await sys.call('GET', '/pools/roll/backends')).json as BackendRow[];

// Deadlines only bound a hang: a loaded machine runs the same steps, later.
describe('rolling deploys through the process provider', { timeout: 400_000 }, () => {
  it('refuses what it cannot do, naming the field', async () => {
    const withBackends = await sys.call('POST', '/pools/roll/deploys', { strategy: 'rolling', version: 'v2', backends: [{ host: '127.0.0.1', port: 1 }] });
    expect(withBackends.status).toBe(400);
    expect(withBackends.json.data.fieldErrors.backends).toBeDefined();
    const badVersion = await sys.call('POST', '/pools/roll/deploys', { strategy: 'rolling', version: 'V2; rm -rf /' });
    expect(badVersion.status).toBe(400);
    expect(badVersion.json.data.fieldErrors.version[0]).toMatch(/must match/);
    const noRoom = await sys.call('POST', '/pools/roll/deploys', { strategy: 'rolling', version: 'v2', maxSurge: 0, maxUnavailable: 0 });
    expect(noRoom.status).toBe(400);
    expect(noRoom.json.data.fieldErrors.maxSurge).toBeDefined();
    const unknownRule = await sys.call('POST', '/pools/roll/deploys', { strategy: 'rolling', version: 'v2', rule: 'nope' });
    expect(unknownRule.status).toBe(400);
    expect(unknownRule.json.data.fieldErrors.rule).toBeDefined();
    await sys.createPool({ name: 'plain' });
    const noProvider = await sys.call('POST', '/pools/plain/deploys', { strategy: 'rolling', version: 'v2' });
    expect(noProvider.status).toBe(400);
    expect(noProvider.json.data.fieldErrors.strategy[0]).toMatch(/no scaling rule/);
  });

  it('starts v2 one at a time, each healthy before a v1 goes, with no failed request', async () => {
    const traffic = driveTraffic(listenPort);
    let d: TDeployRecord;
    let maxActive = 0;
    let minActive = Infinity;
    const watch = setInterval(() => {
      void backends().then((b) => {
        const n = b.filter((x) => x.adminState === 'active').length;
        maxActive = Math.max(maxActive, n);
        minActive = Math.min(minActive, n);
      });
    }, 100);
    try {
      d = await deployed({ version: 'v2', maxSurge: 1, maxUnavailable: 0 });
    } finally {
      clearInterval(watch);
    }
    const tally = await traffic.stop();
    expect(d.status, d.error ?? '').toBe('succeeded');
    expect(tally.failed).toBe(0);
    expect(tally.bodies.v2).toBeGreaterThan(0);
    // maxSurge 1, maxUnavailable 0: never fewer than two in service, never more than three.
    expect(minActive).toBeGreaterThanOrEqual(2);
    expect(maxActive).toBeLessThanOrEqual(3);
    const after = await backends();
    expect(after.map((b) => b.versionLabel)).toEqual(['v2', 'v2']);
    const names = d.steps.map((s) => s.name);
    expect(names.filter((n) => n === 'retire')).toHaveLength(2);
    // Each round: start → healthy → join → gate → retire, in that order.
    expect(names.indexOf('healthy round 1')).toBeGreaterThan(names.indexOf('start round 1'));
    expect(names.indexOf('gate round 1')).toBeGreaterThan(names.indexOf('join round 1'));
    expect(names.indexOf('retire')).toBeGreaterThan(names.indexOf('gate round 1'));
    expect(names.indexOf('start round 2')).toBeGreaterThan(names.indexOf('retire'));
    // Later scale-ups and recoveries run v2 too.
    const rules = (await sys.call('GET', '/pools/roll/scaling-rules')).json as { config: { provider: { params: Record<string, string> } } }[];
    expect(rules[0]!.config.provider.params.version).toBe('v2');
    const events = (await sys.call('GET', '/events?kind=deploy_step&limit=100')).json as { message: string }[];
    expect(events.some((e) => e.message.includes(`deploy ${d.id}: retire done`))).toBe(true);
  });

  it('rolls back when the new version never passes its health check: the old version serves again', async () => {
    const before = await backends();
    const d = await deployed({ version: 'sick', maxSurge: 1, maxUnavailable: 1 });
    expect(d.status).toBe('rolled_back');
    expect(d.error).toMatch(/not healthy/);
    const after = await eventually(
      async () => {
        const b = await backends();
        return b.length === 2 && b.every((x) => x.adminState === 'active') ? b : undefined;
      },
      60_000,
      'two instances after the rollback',
    );
    expect(after.map((b) => b.versionLabel)).toEqual(['v2', 'v2']);
    // maxUnavailable 1 took one v2 out before the two sick ones started; the rollback started v2 again in its place.
    expect(d.steps.some((s) => s.name === 'retire')).toBe(true);
    expect(before.map((b) => b.versionLabel)).toEqual(['v2', 'v2']);
    expect((await fetch(`http://127.0.0.1:${listenPort}/`)).status).toBe(200);
  });

  it('rolls back when the new version fails real traffic (error-rate gate)', async () => {
    const traffic = driveTraffic(listenPort);
    let d: TDeployRecord;
    try {
      d = await deployed({ version: 'fail', maxSurge: 1, maxErrorRate: 0.01, stepPauseMs: 3000 });
    } finally {
      await traffic.stop();
    }
    expect(d.status).toBe('rolled_back');
    expect(d.steps.find((s) => s.name === 'gate round 1')?.status).toBe('failed');
    const after = await eventually(
      async () => {
        const b = await backends();
        return b.length === 2 && b.every((x) => x.versionLabel === 'v2') ? b : undefined;
      },
      60_000,
      'only v2 after the rollback',
    );
    expect(after).toHaveLength(2);
  });

  it('fulcrumctl deploy start --strategy rolling starts the version and follows it to the end', async () => {
    const res = await sys.run(
      [
        FULCRUMCTL,
        'deploy',
        'start',
        '--pool',
        'roll',
        '--version',
        'v3',
        '--strategy',
        'rolling',
        '--max-surge',
        '2',
        '--pause',
        '1s',
        '--drain-timeout',
        '2s',
        '--min-requests',
        '0',
        '--wait',
        '--interval',
        '200ms',
      ],
      {
        FULCRUM_URL: sys.url,
        FULCRUM_TOKEN: sys.operatorToken,
      },
    );
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/started deploy \S+: rolling of version v3 on roll\n/);
    expect(res.stdout).toMatch(/succeeded/);
    expect((await backends()).map((b) => b.versionLabel)).toEqual(['v3', 'v3']);
    const usage = await sys.run([FULCRUMCTL, 'deploy', 'start', '--pool', 'roll', '--version', 'v4', '--strategy', 'rolling', '--backend', '127.0.0.1:1'], {
      FULCRUM_URL: sys.url,
      FULCRUM_TOKEN: sys.operatorToken,
    });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/leave out --backend/);
  });

  it('an old instance whose stop fails: the deploy goes on, an event names it once, and the autoscaler stops it at a later pass', async () => {
    const [rule] = (await sys.call('GET', '/pools/roll/scaling-rules')).json as { id: string }[];
    // The provider the deploy will use (built now for the rule's current version, as the deploy's own lookup does).
    const provider = (await sys.evaluator.runtimeFor(rule!.id))!.provider as ProcessProvider;
    const olds = await provider.list();
    const leaders = new Map(olds.map((i) => [i.id, provider.pidOf(i.id)!]));
    // The first stop of an old instance fails before anything is signalled.
    const stopInstances = provider.stopInstances.bind(provider);
    let refused: string | undefined;
    provider.stopInstances = async (ids) => {
      if (!refused && ids.some((id) => leaders.has(id))) {
        refused = ids[0];
        throw new Error('stop refused by the test');
      }
      return stopInstances(ids);
    };
    const d = await deployed({ version: 'v5', maxSurge: 1, maxUnavailable: 0, minRequests: 0, stepPauseMs: 300 });
    expect(d.status, d.error ?? '').toBe('succeeded');
    const old = olds.find((i) => i.id === refused)!;
    const address = `127.0.0.1:${old.port}`;
    const retires = d.steps.filter((s) => s.name === 'retire');
    expect(retires.map((s) => s.status)).toEqual(['warning', 'done']);
    expect((retires[0]!.detail as { message: string }).message).toContain(`drained and removed ${address} (${old.version}); its stop failed and is tried again at every pass`);
    const events = await eventually(
      async () => {
        const es = (await sys.call('GET', '/events?kind=deploy_step&limit=500')).json as { severity: string; message: string; data: Record<string, unknown> }[];
        return es.some((e) => e.data.step === 'stopped') ? es : undefined;
      },
      120_000,
      'the failed stop tried again',
    );
    const failed = events.filter((e) => e.data.step === 'stop failed');
    expect(failed).toHaveLength(1);
    expect(failed[0]!.severity).toBe('error');
    expect(failed[0]!.data).toMatchObject({ rule: 'fleet', instances: [address], reason: 'stop refused by the test' });
    expect(failed[0]!.message).toBe(`could not stop ${address} after its backend was removed: stop refused by the test; the next pass tries again`);
    expect(events.find((e) => e.data.step === 'stopped')!.message).toBe(`stopped ${address} at a later pass (the stop had failed: stop refused by the test)`);
    expect(processGroupMembers(leaders.get(refused!)!)).toEqual([]);
    expect((await backends()).map((b) => b.versionLabel)).toEqual(['v5', 'v5']);
  });
});
