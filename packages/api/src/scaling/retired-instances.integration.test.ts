import { describe, expect, it } from 'vitest';
import { BACKEND_SCRIPT, eventually } from '../services/deploys/system-harness';
import type { ProcessProvider } from './providers';
import { processGroupMembers } from './providers/proc-stat';
import { STUBBORN_WORKER_SCRIPT, killGroup, poolWithRule, readForPasses, scalingSuite, type EventRow } from './scaling-harness';

/** Evaluator ticks so far. */
let ticks = 0;
const suite = scalingSuite('retired', 300, () => ticks++);
// Passes the evaluator makes after the scale-down before the test stops waiting for what it looks for.
const PASSES = 100;

/**
 * A pool of its own whose rule keeps two instances of `source` (thresholds no traffic here
 * reaches: only the rule's bounds scale it), once both serve as its backends and each instance's
 * process group has `members` processes. `scaleDown()` lowers the rule to one instance;
 * `disable()`, after it, turns the rule off.
 */
async function twoInstances(name: string, source: string, members: number) {
  const { sys } = suite;
  const { pool, ruleId, version, rule } = await poolWithRule(suite, name, { minInstances: 2, maxInstances: 2 }, source);
  const backends = async () => (await sys.call('GET', `/pools/${name}/backends`)).json as { port: number; adminState: string }[];
  await eventually(async () => ((await backends()).filter((b) => b.adminState === 'active').length === 2 ? true : undefined), 120_000, `two instances of ${name}`);
  const provider = sys.evaluator.providerOf(ruleId) as ProcessProvider;
  const instances = await provider.list();
  // Each instance's leader (its process group's id) and every process of its group.
  const groups = await eventually(
    async () => {
      const gs = instances.map((i) => ({ port: i.port!, leader: provider.pidOf(i.id)!, pids: processGroupMembers(provider.pidOf(i.id)!) }));
      return gs.every((g) => g.pids.length === members) ? gs : undefined;
    },
    60_000,
    `${members} process(es) in each instance's group`,
  );
  const events = async () => ((await sys.call('GET', `/events?kind=scaling&poolId=${pool.id}&limit=100`)).json as EventRow[]).reverse();
  let removed: (typeof groups)[number] | undefined;
  const scaleDown = async () => {
    expect((await sys.call('PUT', `/scaling-rules/${ruleId}`, { expectedVersion: version, rule: { ...rule, minInstances: 1, maxInstances: 1 } })).status).toBe(200);
    const left = await eventually(
      async () => {
        const b = await backends();
        return b.length === 1 ? b : undefined;
      },
      120_000,
      'one backend after the scale-down',
    );
    removed = groups.find((g) => g.port !== left[0]!.port)!;
    return { kept: groups.find((g) => g.port === left[0]!.port)!, victim: removed };
  };
  const disable = async () => {
    const lowered = { ...rule, minInstances: 1, maxInstances: 1, enabled: false };
    expect((await sys.call('PUT', `/scaling-rules/${ruleId}`, { expectedVersion: version + 1, rule: lowered })).status).toBe(200);
  };
  /** Waits until `found` holds for the pool's events, or PASSES evaluator passes went by without it; answers the events. */
  const eventsUntil = (found: (es: EventRow[]) => boolean, what: string) => readForPasses(() => ticks, PASSES, events, found, what);
  // What a failing run leaves of the removed instance (a worker the provider no longer knows of)
  // is killed with its group; the kept one is the provider's, stopped with the system.
  const killRemoved = () => killGroup(removed?.leader);
  const explain = () => `evaluator log (latest):\n${sys.logTail().join('\n')}`;
  return { provider, groups, scaleDown, disable, eventsUntil, killRemoved, explain };
}

// Deadlines only bound a hang: a loaded machine runs the same steps, later.
describe('an instance stopped after its backend was removed', { timeout: 300_000 }, () => {
  it('a worker that ignores SIGTERM is killed with its process group after the grace period, and the event names the instance and the pid', async () => {
    const t = await twoInstances('stubborn', STUBBORN_WORKER_SCRIPT, 2);
    try {
      const { kept, victim } = await t.scaleDown();
      const address = `127.0.0.1:${victim.port}`;
      const events = await t.eventsUntil((es) => es.some((e) => e.data.step === 'killed'), 'the stop recorded');
      const killed = events.find((e) => e.data.step === 'killed');
      expect(killed, `no event of the kill after ${PASSES} passes; ${JSON.stringify(events.map((e) => e.message))}\n${t.explain()}`).toBeDefined();
      expect(killed!.severity).toBe('warning');
      expect(killed!.data).toMatchObject({ rule: 'bounds', instance: address });
      const worker = victim.pids.find((p) => p !== victim.leader)!;
      expect(killed!.message).toBe(`stopped ${address} after its backend was removed: pid ${worker} of its process group ${victim.leader} ran on 5 s after SIGTERM: killed with SIGKILL`);
      // Nothing of the removed instance runs; the kept one runs whole.
      expect(processGroupMembers(victim.leader)).toEqual([]);
      expect(processGroupMembers(kept.leader).sort()).toEqual(kept.pids.sort());
      expect((await t.provider.list()).map((i) => i.port)).toEqual([kept.port]);
    } finally {
      t.killRemoved();
    }
  });

  it('a stop that fails is recorded naming the instance, not counted as capacity, and tried again at a later pass until the instance is gone', async () => {
    const t = await twoInstances('retry', BACKEND_SCRIPT, 1);
    try {
      // The first stop the evaluator asks for fails before anything is signalled.
      const stopInstances = t.provider.stopInstances.bind(t.provider);
      let refused = 0;
      t.provider.stopInstances = async (ids) => {
        if (refused++ === 0) throw new Error('stop refused by the test');
        return stopInstances(ids);
      };
      const { kept, victim } = await t.scaleDown();
      const address = `127.0.0.1:${victim.port}`;
      const events = await t.eventsUntil((es) => es.some((e) => e.data.step === 'stopped'), 'the stop tried again');
      const failed = events.filter((e) => e.data.step === 'stop failed');
      const stopped = events.find((e) => e.data.step === 'stopped');
      expect(stopped, `no later stop after ${PASSES} passes; ${JSON.stringify(events.map((e) => e.message))}\n${t.explain()}`).toBeDefined();
      expect(failed).toHaveLength(1);
      expect(failed[0]!.severity).toBe('error');
      expect(failed[0]!.data).toMatchObject({ rule: 'bounds', instances: [address], reason: 'stop refused by the test' });
      expect(failed[0]!.message).toBe(`could not stop ${address} after its backend was removed: stop refused by the test; the next pass tries again`);
      expect(stopped!.data).toMatchObject({ instances: [address] });
      expect(stopped!.message).toBe(`stopped ${address} at a later pass (the stop had failed: stop refused by the test)`);
      // The instance whose stop failed was no capacity: one decision scaled down, no second one.
      expect(events.filter((e) => e.message.startsWith('scale down'))).toHaveLength(1);
      expect(processGroupMembers(victim.leader)).toEqual([]);
      expect(processGroupMembers(kept.leader)).toEqual([kept.leader]);
      expect((await t.provider.list()).map((i) => i.port)).toEqual([kept.port]);
    } finally {
      t.killRemoved();
    }
  });

  it('a rule disabled while a failed stop is pending: the stop is still tried again at every pass until the instance is gone', async () => {
    const t = await twoInstances('disabled', BACKEND_SCRIPT, 1);
    try {
      // Every stop fails until the rule is disabled.
      const stopInstances = t.provider.stopInstances.bind(t.provider);
      let refusing = true;
      t.provider.stopInstances = async (ids) => {
        if (refusing) throw new Error('stop refused by the test');
        return stopInstances(ids);
      };
      const { kept, victim } = await t.scaleDown();
      const address = `127.0.0.1:${victim.port}`;
      const before = await t.eventsUntil((es) => es.some((e) => e.data.step === 'stop failed'), 'the failed stop recorded');
      expect(
        before.filter((e) => e.data.step === 'stop failed'),
        t.explain(),
      ).toHaveLength(1);
      await t.disable();
      // Two passes begin after the rule is off: any pass that began before it has asked for its stop by then.
      const from = ticks;
      await eventually(() => ticks - from >= 2, 120_000, 'two evaluator passes after the rule was disabled');
      refusing = false;
      const events = await t.eventsUntil((es) => es.some((e) => e.data.step === 'stopped'), 'the stop tried again while the rule is disabled');
      const stopped = events.find((e) => e.data.step === 'stopped');
      expect(stopped, `no later stop after ${PASSES} passes of the disabled rule; ${JSON.stringify(events.map((e) => e.message))}\n${t.explain()}`).toBeDefined();
      expect(stopped!.message).toBe(`stopped ${address} at a later pass (the stop had failed: stop refused by the test)`);
      expect(events.filter((e) => e.data.step === 'stop failed')).toHaveLength(1);
      expect(processGroupMembers(victim.leader)).toEqual([]);
      expect(processGroupMembers(kept.leader)).toEqual([kept.leader]);
      expect((await t.provider.list()).map((i) => i.port)).toEqual([kept.port]);
    } finally {
      t.killRemoved();
    }
  });
});
