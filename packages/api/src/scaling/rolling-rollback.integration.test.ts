import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { TDeployRecord } from '@fulcrum/protocol';
import { BACKEND_SCRIPT, deployEnded, eventually } from '../services/deploys/system-harness';
import type { Instance, ProcessProvider } from './providers';
import { processGroupMembers } from './providers/proc-stat';
import { killGroup, readForPasses, refuseNthBackend, scalingSuite, type EventRow } from './scaling-harness';

/** Evaluator ticks so far. */
let ticks = 0;
const suite = scalingSuite('rollback', 300, () => ticks++);
// Passes the evaluator makes before a test stops waiting for what it looks for.
const PASSES = 100;

/** An instance the test refuses to stop, with its process group's leader and its address. */
interface Refused {
  id: string;
  leader: number;
  address: string;
}

/**
 * A pool of its own whose rule `fleet` keeps two instances of version `v1` of a profile whose
 * `version` is the backend's name and its mode (`sick` never passes health), once both serve.
 * `refuseStop(pick)` makes the rule's provider refuse every stop of the first instance `pick`
 * chooses until `allow()`.
 */
async function twoOfVersionOne(name: string) {
  const { sys } = suite;
  const script = path.join(suite.dir, `${name}.cjs`);
  writeFileSync(script, BACKEND_SCRIPT);
  await sys.createProcessProfile(`${name}-versioned`, [process.execPath, script, '{port}', '{version}', '{version}'], {
    ports: 30,
    parameters: [{ name: 'version', type: 'string', pattern: '[a-z0-9.]{1,16}' }],
  });
  const pool = await sys.createPool({ name, healthCheck: { path: '/health', intervalMs: 300, timeoutMs: 2000, rise: 1, fall: 2 }, drainTimeoutMs: 2000 });
  const rule = {
    name: 'fleet',
    metric: 'rps_per_backend',
    scaleUpThreshold: 1e6,
    scaleDownThreshold: 0,
    cooldownMs: 0,
    minInstances: 2,
    maxInstances: 4,
    provider: { profile: `${name}-versioned`, params: { version: 'v1' } },
  };
  const created = await sys.call('POST', `/pools/${name}/scaling-rules`, { rule });
  expect(created.status, JSON.stringify(created.json)).toBe(200);
  const { id: ruleId, version } = created.json as { id: string; version: number };
  const backends = async () => (await sys.call('GET', `/pools/${name}/backends`)).json as { port: number; adminState: string; versionLabel: string | null }[];
  const activeV1 = async () => {
    const b = await backends();
    return b.length === 2 && b.every((x) => x.adminState === 'active' && x.versionLabel === 'v1') ? b : undefined;
  };
  await eventually(activeV1, 120_000, `two v1 instances of ${name}`);
  // The provider the deploy drives (built for the rule's version, as the deploy's own lookup does).
  const provider = (await sys.evaluator.runtimeFor(ruleId))!.provider as ProcessProvider;
  const olds = await provider.list();

  const stopInstances = provider.stopInstances.bind(provider);
  let refusing = true;
  let refused: Refused | undefined;
  const refuseStop = (pick: (ids: string[]) => string | undefined) => {
    provider.stopInstances = async (ids) => {
      // Chosen before anything is awaited: stops asked for at once choose one instance between them.
      const id = refused?.id ?? pick(ids);
      if (id && !refused) refused = { id, leader: provider.pidOf(id)!, address: '' };
      if (refusing && refused && ids.includes(refused.id)) {
        refused.address ||= `127.0.0.1:${(await provider.list()).find((i) => i.id === refused!.id)!.port}`;
        throw new Error('stop refused by the test');
      }
      return stopInstances(ids);
    };
  };

  const deployed = async (body: Record<string, unknown>) => {
    const started = await sys.call('POST', `/pools/${name}/deploys`, { strategy: 'rolling', stepPauseMs: 300, healthyTimeoutMs: 15_000, drainTimeoutMs: 2000, ...body });
    expect(started.status, JSON.stringify(started.json)).toBe(200);
    return deployEnded(sys, started.json.id);
  };
  const events = async (kind = 'deploy_step') => ((await sys.call('GET', `/events?kind=${kind}&poolId=${pool.id}&limit=500`)).json as EventRow[]).reverse();
  /** Waits until `found` holds for the pool's deploy events, or PASSES evaluator passes went by without it; answers the events. */
  const eventsUntil = (found: (es: EventRow[]) => boolean, what: string) =>
    readForPasses(
      () => ticks,
      PASSES,
      () => events(),
      found,
      what,
    );
  const disable = async () => {
    expect((await sys.call('PUT', `/scaling-rules/${ruleId}`, { expectedVersion: version, rule: { ...rule, enabled: false } })).status).toBe(200);
  };
  // What a failing run leaves of the refused instance is killed with its group.
  const killRefused = () => killGroup(refused?.leader);
  const explain = () => `evaluator log (latest):\n${sys.logTail().join('\n')}`;
  return {
    pool,
    provider,
    olds,
    backends,
    activeV1,
    refuseStop,
    refused: () => refused!,
    allow: () => (refusing = false),
    deployed,
    events,
    eventsUntil,
    disable,
    killRefused,
    explain,
  };
}

const failedStops = (es: EventRow[]) => es.filter((e) => e.data.step === 'stop failed');
const laterStop = (es: EventRow[]) => es.find((e) => e.data.step === 'stopped');
/** Waits for `n` evaluator passes to begin from now. */
const passes = (n: number) => {
  const from = ticks;
  return eventually(() => ticks - from >= n, 120_000, `${n} evaluator passes`);
};

// Deadlines only bound a hang: a loaded machine runs the same steps, later.
describe('a rolling deploy rolling back with a provider that will not stop or start', { timeout: 400_000 }, () => {
  it('a new instance that will not stop: the deploy ends rolled_back, the rollback step and one event name it, it stays out of the pool and a later pass stops it, the rule disabled', async () => {
    const t = await twoOfVersionOne('unstopped');
    try {
      const oldIds = new Set(t.olds.map((i) => i.id));
      t.refuseStop((ids) => ids.find((id) => !oldIds.has(id)));
      // Both v2 instances join; the gate has no traffic to judge and fails at once.
      const d = await t.deployed({ version: 'v2', maxSurge: 2, maxUnavailable: 0, minRequests: 1, trafficTimeoutMs: 0 });
      expect(d.status, `${d.error}\n${t.explain()}`).toBe('rolled_back');
      expect(d.error).toMatch(/no traffic to judge/);
      const { address, leader } = t.refused();
      const last = d.steps.at(-1)!;
      expect([last.name, last.status]).toEqual(['rollback', 'warning']);
      expect((last.detail as { message: string }).message).toBe(
        `restored 0 instance(s) of the old version, stopped 1 of version v2; could not stop ${address}: out of the pool, stopped again at every pass`,
      );
      // Passes go by with the stop still refused: the instance runs, out of the pool.
      await passes(3);
      expect(await t.activeV1(), JSON.stringify(await t.backends())).toBeDefined();
      expect(processGroupMembers(leader)).toEqual([leader]);
      await t.disable();
      await passes(2);
      t.allow();
      const events = await t.eventsUntil((es) => !!laterStop(es), 'the stop tried again while the rule is disabled');
      const failed = failedStops(events);
      expect(failed, JSON.stringify(events.map((e) => e.message))).toHaveLength(1);
      expect(failed[0]!.severity).toBe('error');
      expect(failed[0]!.data).toMatchObject({ rule: 'fleet', instances: [address], reason: 'stop refused by the test' });
      expect(failed[0]!.message).toBe(`could not stop ${address} after its backend was removed: stop refused by the test; the next pass tries again`);
      expect(laterStop(events)?.message, t.explain()).toBe(`stopped ${address} at a later pass (the stop had failed: stop refused by the test)`);
      expect(processGroupMembers(leader)).toEqual([]);
      expect((await t.provider.list()).map((i) => i.id).sort()).toEqual([...oldIds].sort());
    } finally {
      t.killRefused();
    }
  });

  it('an old version that will not start again, or starts unhealthy and will not stop: warnings in the rollback, the deploy ends rolled_back, the rule is back at its minimum', async () => {
    const t = await twoOfVersionOne('unrestored');
    try {
      // The rollback's first restore of v1 fails to start; its second starts an instance that never passes health.
      const startOne = t.provider.startOne.bind(t.provider);
      let restores = 0;
      let unhealthy: Instance | undefined;
      t.provider.startOne = async (overrides = {}, opts) => {
        if (overrides.version !== 'v1') return startOne(overrides, opts);
        if (++restores === 1) throw new Error('start refused by the test');
        unhealthy = await startOne({ version: 'sick' }, opts);
        return unhealthy;
      };
      t.refuseStop((ids) => ids.find((id) => id === unhealthy?.id));
      // Both v1 instances go before the new ones start, which never pass health.
      const d = await t.deployed({ version: 'sick', maxSurge: 0, maxUnavailable: 2, healthyTimeoutMs: 3000 });
      expect(d.status, `${d.error}\n${t.explain()}`).toBe('rolled_back');
      expect(d.error).toMatch(/not healthy/);
      const { address, leader } = t.refused();
      const rollback = d.steps.filter((s) => s.name === 'rollback').map((s) => [s.status, (s.detail as { message: string }).message]);
      expect(rollback).toHaveLength(4);
      expect(rollback[1]).toEqual(['warning', 'could not restore an instance of v1 (start refused by the test); recovery keeps trying']);
      expect(rollback[2]![0]).toBe('warning');
      expect(rollback[2]![1]).toMatch(/^could not restore an instance of v1 \(.+\); recovery keeps trying; /);
      expect(rollback[2]![1]).toContain(`; could not stop ${address}, started for it: out of the pool, stopped again at every pass`);
      expect(rollback[3]).toEqual(['done', 'restored 0 instance(s) of the old version, stopped 2 of version sick']);
      // The autoscaler starts v1 twice over: the unhealthy instance, still running, is no capacity,
      // and no new instance either (a scale-up that took it for one would probe it, then try to stop it).
      const from = ticks;
      const back = await eventually(async () => (await t.activeV1()) ?? (ticks - from >= PASSES ? [] : undefined), 300_000, 'two v1 instances again');
      expect(back, `${JSON.stringify(await t.backends())}\n${t.explain()}`).toHaveLength(2);
      const scaling = (await t.events('scaling')).map((e) => e.message);
      expect(scaling.filter((m) => m.startsWith('scale up')).at(-1)).toMatch(/^scale up unrestored from 0 to 2 instance\(s\)/);
      expect(scaling.filter((m) => m.includes(address))).toEqual([]);
      expect(processGroupMembers(leader)).toEqual([leader]);
      t.allow();
      const events = await t.eventsUntil((es) => !!laterStop(es), 'the stop tried again');
      expect(failedStops(events).map((e) => e.data.instances)).toEqual([[address]]);
      // It failed its health check and never joined: no backend of it was removed.
      expect(failedStops(events)[0]!.message).toBe(`could not stop ${address}, which never joined the pool: stop refused by the test; the next pass tries again`);
      expect(laterStop(events)?.message, t.explain()).toBe(`stopped ${address} at a later pass (the stop had failed: stop refused by the test)`);
      expect(processGroupMembers(leader)).toEqual([]);
    } finally {
      t.killRefused();
    }
  });
});

describe('a rolling deploy whose provider cannot list, or whose database refuses a write', { timeout: 400_000 }, () => {
  it('the list fails before anything changed: the deploy fails, its plan step naming the failure; nothing is started or stopped', async () => {
    const t = await twoOfVersionOne('unlisted');
    const list = t.provider.list.bind(t.provider);
    t.provider.list = async () => {
      throw new Error('list refused by the test');
    };
    try {
      const d = await t.deployed({ version: 'v2', maxSurge: 1, maxUnavailable: 0 });
      const message = 'could not list the instances of rule fleet: list refused by the test';
      expect([d.status, d.error], t.explain()).toEqual(['failed', message]);
      expect(d.steps.map((s) => [s.name, s.status, (s.detail as { message: string }).message])).toEqual([
        ['requested', 'requested', expect.any(String)],
        ['plan', 'failed', message],
      ]);
    } finally {
      t.provider.list = list;
    }
    expect((await list()).map((i) => i.id).sort()).toEqual(t.olds.map((i) => i.id).sort());
    expect(await t.activeV1(), JSON.stringify(await t.backends())).toBeDefined();
  });

  it('the list fails once the new version runs: the rollback stops the new instances all the same and the deploy ends rolled_back', async () => {
    const t = await twoOfVersionOne('unlistable');
    const list = t.provider.list.bind(t.provider);
    const startOne = t.provider.startOne.bind(t.provider);
    let failing = false;
    t.provider.list = async () => {
      if (failing) throw new Error('list refused by the test');
      return list();
    };
    t.provider.startOne = async (overrides, opts) => {
      failing = true;
      return startOne(overrides, opts);
    };
    try {
      // One old instance goes first; the gate has no traffic to judge and fails at once.
      const d = await t.deployed({ version: 'v2', maxSurge: 1, maxUnavailable: 1, minRequests: 1, trafficTimeoutMs: 0 });
      expect(d.status, `${d.error}\n${t.explain()}`).toBe('rolled_back');
      expect(d.error).toMatch(/no traffic to judge/);
      const last = d.steps.at(-1)!;
      expect([last.name, last.status, (last.detail as { message: string }).message]).toEqual(['rollback', 'done', 'restored 1 instance(s) of the old version, stopped 2 of version v2']);
    } finally {
      t.provider.list = list;
    }
    const running = await list();
    expect(running.map((i) => i.version)).toEqual(['v1', 'v1']);
    expect(await t.activeV1(), JSON.stringify(await t.backends())).toBeDefined();
  });

  it('the database refuses a restored instance’s backend: the instance is stopped, a warning names the refusal, the deploy ends rolled_back and the autoscaler restores the minimum', async () => {
    const t = await twoOfVersionOne('unrecorded');
    // The new instance's backend is the first added from now on, the restored old one's the second.
    const allow = await refuseNthBackend(suite.sys.db.prisma, t.pool.id, 2, 'refuse_restore');
    try {
      const d = await t.deployed({ version: 'v2', maxSurge: 0, maxUnavailable: 1, minRequests: 1, trafficTimeoutMs: 0 });
      expect(d.status, `${d.error}\n${t.explain()}`).toBe('rolled_back');
      const rollback = d.steps.filter((s) => s.name === 'rollback').map((s) => [s.status, (s.detail as { message: string }).message]);
      expect(rollback).toHaveLength(3);
      expect(rollback[1]![0]).toBe('warning');
      expect(rollback[1]![1]).toMatch(/^could not restore an instance of v1 \(could not add its backend 127\.0\.0\.1:\d+: database error: refused by a test trigger\); recovery keeps trying$/);
      expect(rollback[2]).toEqual(['done', 'restored 0 instance(s) of the old version, stopped 1 of version v2']);
      // What the rollback started and could not add runs no more: one v1 instance is left.
      expect((await t.provider.list()).map((i) => i.version)).toEqual(['v1']);
    } finally {
      await allow();
    }
    const from = ticks;
    const back = await eventually(async () => (await t.activeV1()) ?? (ticks - from >= PASSES ? [] : undefined), 300_000, 'two v1 instances again');
    expect(back, `${JSON.stringify(await t.backends())}\n${t.explain()}`).toHaveLength(2);
  });
});

describe('a rolling deploy whose control plane stops mid-way', { timeout: 400_000 }, () => {
  it('the replica that takes it over rolls back what the deploy did: the old version started again, the new instances out of the pool and stopped', async () => {
    const t = await twoOfVersionOne('takenover');
    const { sys } = suite;
    // One old instance goes first, two new ones join; the gate then holds for a minute.
    const started = await sys.call('POST', '/pools/takenover/deploys', {
      strategy: 'rolling',
      version: 'v2',
      maxSurge: 1,
      maxUnavailable: 1,
      stepPauseMs: 60_000,
      minRequests: 0,
      healthyTimeoutMs: 15_000,
      drainTimeoutMs: 2000,
    });
    expect(started.status, JSON.stringify(started.json)).toBe(200);
    const id = started.json.id as string;
    await eventually(
      async () => ((await sys.call('GET', `/deploys/${id}`)).json as TDeployRecord).steps.some((s) => s.name === 'join round 1' && s.status === 'done') || undefined,
      120_000,
      'the new instances joined',
    );
    expect((await t.provider.list()).map((i) => i.version).sort()).toEqual(['v1', 'v2', 'v2']);
    try {
      // This control plane's runner stops; the next one finds the deploy's heartbeat stale within a second.
      await sys.restartDeployRunner({ staleMs: 1000 });
      const d = await deployEnded(sys, id);
      expect([d.status, d.error], t.explain()).toEqual(['rolled_back', 'the control plane running this deploy stopped; rolled back']);
      const last = d.steps.at(-1)!;
      expect([last.name, last.status, (last.detail as { message: string }).message]).toEqual(['rollback', 'done', 'restored 1 instance(s) of the old version, stopped 2 of version v2']);
    } finally {
      await sys.restartDeployRunner();
    }
    expect((await t.provider.list()).map((i) => i.version)).toEqual(['v1', 'v1']);
    expect(await t.activeV1(), JSON.stringify(await t.backends())).toBeDefined();
  });
});
