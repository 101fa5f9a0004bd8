import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKEND_SCRIPT, eventually } from '../services/deploys/system-harness';
import type { ProcessProvider } from './providers';
import { alive } from './providers/process-provider';
import { refuseNthBackend, runningPorts, scalingSuite } from './scaling-harness';

const suite = scalingSuite('scale-up', 300);

interface BackendRow {
  port: number;
  adminState: string;
}

interface EventRow {
  severity: string;
  message: string;
  data: Record<string, unknown>;
}

/**
 * A pool of its own with a rule that wants three instances (thresholds no traffic here reaches:
 * only the minimum scales it). The rule is enabled once its provider is wrapped: every start is
 * recorded with its pid, `failAt` (a start's number) throws instead of starting, and every start
 * after the first scale-up's three waits for `release()`, so that what the failed scale-up left is
 * seen before the next pass changes it.
 */
async function threeInstanceRule(name: string, failAt?: number) {
  const script = path.join(suite.dir, `${name}.cjs`);
  writeFileSync(script, BACKEND_SCRIPT);
  await suite.sys.createProcessProfile(`${name}-node`, [process.execPath, script, '{port}', name, 'ok']);
  const pool = await suite.sys.createPool({ name, healthCheck: { path: '/health', intervalMs: 300, timeoutMs: 2000, rise: 1, fall: 2 }, drainTimeoutMs: 3000 });
  const rule = {
    name: 'three',
    enabled: false,
    metric: 'rps_per_backend',
    scaleUpThreshold: 1e6,
    scaleDownThreshold: 0,
    minInstances: 3,
    maxInstances: 3,
    cooldownMs: 0,
    provider: { profile: `${name}-node` },
  };
  const created = await suite.sys.call('POST', `/pools/${name}/scaling-rules`, { rule });
  expect(created.status).toBe(200);
  const { id: ruleId, version } = created.json as { id: string; version: number };
  const provider = (await suite.sys.evaluator.runtimeFor(ruleId))?.provider as ProcessProvider;

  const started: { id: string; port: number; pid: number }[] = [];
  let calls = 0;
  let held = false;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const startOne = provider.startOne.bind(provider);
  provider.startOne = async (...args) => {
    calls++;
    if (calls > 3) {
      held = true;
      await gate;
    }
    if (calls === failAt) throw new Error(`start ${calls} refused by the test`);
    const i = await startOne(...args);
    started.push({ id: i.id, port: i.port!, pid: provider.pidOf(i.id)! });
    return i;
  };

  const backends = async () => ((await suite.sys.call('GET', `/pools/${name}/backends`)).json as BackendRow[]).sort((a, b) => a.port - b.port);
  const events = async () => ((await suite.sys.call('GET', `/events?kind=scaling&poolId=${pool.id}&limit=100`)).json as EventRow[]).reverse();
  let last = {};
  /** What the pool has, what the provider and /proc say runs, and the events: for a condition's check, and a miss's message. */
  const look = async () => {
    // The events first: what follows is read after the newest of them was recorded.
    const recorded = await events();
    const now = {
      backends: await backends(),
      instances: (await provider.list()).map((i) => i.port!).sort((a, b) => a - b),
      running: runningPorts(script),
      events: recorded,
      sameProvider: suite.sys.evaluator.providerOf(ruleId) === provider,
    };
    last = now;
    return now;
  };
  const explain = (what: string) => () => `${what}; last seen: ${JSON.stringify(last)}\nevaluator log (latest):\n${suite.sys.logTail().join('\n')}`;
  const enable = async () => expect((await suite.sys.call('PUT', `/scaling-rules/${ruleId}`, { expectedVersion: version, rule: { ...rule, enabled: true } })).status).toBe(200);
  return { pool, script, provider, started, held: () => held, release, look, explain, enable };
}

type Rule = Awaited<ReturnType<typeof threeInstanceRule>>;

/**
 * From the failed scale-up's event on until the next pass may start more, nothing runs outside the
 * pool: the backends are exactly the instances the provider lists and the processes that run.
 */
async function afterFailure(r: Rule): Promise<{ failed: EventRow; backends: BackendRow[] }> {
  const seen = await eventually(
    async () => {
      const now = await r.look();
      return now.events.some((e) => e.severity === 'error') ? now : undefined;
    },
    120_000,
    r.explain('a failed scale-up'),
  );
  const ports = seen.backends.map((b) => b.port);
  expect({ instances: seen.instances, running: seen.running }, r.explain('nothing outside the pool once the failure is recorded')()).toEqual({ instances: ports, running: ports });
  // The next pass finds the pool short and starts more (held until the checks below are done).
  await eventually(() => r.held() || undefined, 120_000, r.explain('the next pass starting the missing instances'));
  const now = await r.look();
  expect(now.sameProvider).toBe(true);
  expect(now.backends.map((b) => b.adminState).every((s) => s === 'active')).toBe(true);
  expect({ instances: now.instances, running: now.running }).toEqual({ instances: ports, running: ports });
  expect(now.backends.map((b) => b.port)).toEqual(ports);
  const failed = now.events.filter((e) => e.severity === 'error');
  expect(failed).toHaveLength(1);
  return { failed: failed[0]!, backends: now.backends };
}

/** Once released, a later pass brings the pool to three, every one a backend and nothing beside them. */
async function reachesThree(r: Rule): Promise<void> {
  r.release();
  const done = await eventually(
    async () => {
      const now = await r.look();
      const ports = now.backends.map((b) => b.port);
      const same = JSON.stringify(ports) === JSON.stringify(now.instances) && JSON.stringify(ports) === JSON.stringify(now.running);
      return ports.length === 3 && same && now.backends.every((b) => b.adminState === 'active') ? now : undefined;
    },
    120_000,
    r.explain('three instances, all of them backends'),
  );
  expect(done.events.filter((e) => e.severity === 'error')).toHaveLength(1);
}

// Deadlines only bound a hang: a loaded machine runs the same steps, later.
describe('a scale-up that fails partway', { timeout: 300_000 }, () => {
  it('a join the database refuses: that instance and the ones not joined yet are stopped, the event says why, a later pass reaches the count', async () => {
    const r = await threeInstanceRule('upjoin');
    // The database refuses the pool's second new backend, once: the first instance has joined by then, the third has started.
    const allow = await refuseNthBackend(suite.sys.db.prisma, r.pool.id, 2, 'refuse_second_join');
    try {
      await r.enable();
      const { failed, backends } = await afterFailure(r);
      expect(r.started).toHaveLength(3);
      const [first, refused, third] = r.started;
      expect(backends.map((b) => b.port)).toEqual([first!.port]);
      expect(alive(first!.pid)).toBe(true);
      expect(alive(refused!.pid)).toBe(false);
      expect(alive(third!.pid)).toBe(false);
      const address = (port: number) => `127.0.0.1:${port}`;
      expect(failed.data).toMatchObject({
        step: 'failed',
        failedStep: 'joined',
        reason: 'database error: refused by a test trigger',
        new: address(refused!.port),
        joined: [address(first!.port)],
        stopped: [address(refused!.port), address(third!.port)],
      });
      expect(failed.message).toBe(
        `scaling upjoin up failed while adding ${address(refused!.port)} to the pool: database error: refused by a test trigger; ${address(first!.port)} joined the pool; stopped ${address(refused!.port)}, ${address(third!.port)}; a later pass starts what is missing`,
      );
      await reachesThree(r);
    } finally {
      r.release();
      await allow();
    }
  });

  it('a start that fails for the last instance: the ones that started join, the event says why, a later pass reaches the count', async () => {
    const r = await threeInstanceRule('upstart', 3);
    try {
      await r.enable();
      const { failed, backends } = await afterFailure(r);
      expect(r.started).toHaveLength(2);
      expect(backends.map((b) => b.port)).toEqual(r.started.map((s) => s.port).sort((a, b) => a - b));
      expect(r.started.every((s) => alive(s.pid))).toBe(true);
      expect(failed.data).toMatchObject({ step: 'failed', failedStep: 'started', reason: 'start 3 refused by the test', new: null, stopped: [] });
      expect(failed.message).toMatch(
        /^scaling upstart up failed while starting its instances: start 3 refused by the test; 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+ joined the pool; a later pass starts what is missing$/,
      );
      await reachesThree(r);
    } finally {
      r.release();
    }
  });
});
