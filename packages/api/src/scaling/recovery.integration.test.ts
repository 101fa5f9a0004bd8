import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BACKEND_SCRIPT, eventually } from '../services/deploys/system-harness';
import { ProcessProvider } from './providers';
import { alive } from './providers/process-provider';
import { refuseNthBackend, scalingSuite } from './scaling-harness';

const suite = scalingSuite('recovery', 300);

interface BackendRow {
  id: string;
  host: string;
  port: number;
  adminState: string;
}

/**
 * `wait` with what explains a miss appended to its error: the pool's backends, the provider's
 * instances, the recovery and scaling events and the evaluator's latest log lines.
 */
async function explained<T>(wait: Promise<T>, pool: string, provider: () => ProcessProvider | undefined): Promise<T> {
  try {
    return await wait;
  } catch (err) {
    const get = async (p: string) => JSON.stringify((await suite.sys.call('GET', p).catch((e: unknown) => ({ json: String(e) }))).json);
    const instances = provider() ? JSON.stringify(await provider()!.list()) : 'no provider';
    throw new Error(
      [
        String(err instanceof Error ? err.message : err),
        `backends of ${pool}: ${await get(`/pools/${pool}/backends`)}`,
        `provider instances: ${instances}`,
        `recovery events: ${await get('/events?kind=recovery&limit=100')}`,
        `scaling events: ${await get('/events?kind=scaling&limit=100')}`,
        `evaluator log (latest):\n${suite.sys.logTail().join('\n')}`,
      ].join('\n'),
    );
  }
}

/**
 * A pool of its own with a rule that keeps one instance (thresholds no traffic here reaches: only
 * recovery and the rule's minimum change the instances), once that instance serves as its backend.
 */
async function oneInstanceRule(name: string) {
  const script = path.join(suite.dir, 'backend.cjs');
  writeFileSync(script, BACKEND_SCRIPT);
  await suite.sys.createProcessProfile(`${name}-node`, [process.execPath, script, '{port}', name, 'ok']);
  const pool = await suite.sys.createPool({ name, healthCheck: { path: '/health', intervalMs: 300, timeoutMs: 2000, rise: 1, fall: 2 }, drainTimeoutMs: 3000 });
  const rule = { name: 'keep', metric: 'rps_per_backend', scaleUpThreshold: 1e6, scaleDownThreshold: 0, minInstances: 1, maxInstances: 4, cooldownMs: 0, provider: { profile: `${name}-node` } };
  const created = await suite.sys.call('POST', `/pools/${name}/scaling-rules`, { rule });
  expect(created.status).toBe(200);
  const { id: ruleId, version } = created.json as { id: string; version: number };
  const explain = <T>(wait: Promise<T>) => explained(wait, name, () => suite.sys.evaluator.providerOf(ruleId) as ProcessProvider | undefined);
  const backends = async () => (await suite.sys.call('GET', `/pools/${name}/backends`)).json as BackendRow[];
  const [old] = await explain(
    eventually(
      async () => {
        const b = await backends();
        return b.length === 1 && b[0]!.adminState === 'active' ? b : undefined;
      },
      120_000,
      'one instance',
    ),
  );
  const provider = suite.sys.evaluator.providerOf(ruleId) as ProcessProvider;
  return { pool, rule, ruleId, version, old: old!, provider, backends, explain };
}

// Deadlines only bound a hang: a loaded machine runs the same steps, later.
describe('automatic recovery with the process provider', { timeout: 300_000 }, () => {
  it('refuses minHealthy above maxInstances, naming the field', async () => {
    const bad = await suite.sys.call('POST', '/pools/none/scaling-rules', {
      rule: {
        name: 'x',
        metric: 'cpu_percent',
        scaleUpThreshold: 80,
        scaleDownThreshold: 20,
        minInstances: 1,
        maxInstances: 2,
        recovery: { minHealthy: 3, unhealthyAfterMs: 10 },
        provider: { profile: 'p' },
      },
    });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.json.data.fieldErrors)).toEqual(expect.arrayContaining(['rule.recovery.minHealthy', 'rule.recovery.unhealthyAfterMs']));
  });

  it('replaces an instance killed with SIGKILL and one that stops answering (SIGSTOP): new one healthy and joined before the old one goes', async () => {
    const script = path.join(suite.dir, 'backend.cjs');
    writeFileSync(script, BACKEND_SCRIPT);
    await suite.sys.createProcessProfile('heal-node', [process.execPath, script, '{port}', 'healed', 'ok']);
    const { listenPort, id: poolId } = await suite.sys.createPool({ name: 'heal', healthCheck: { path: '/health', intervalMs: 300, timeoutMs: 2000, rise: 1, fall: 2 }, drainTimeoutMs: 3000 });
    // Thresholds no traffic here reaches: only recovery changes the instances.
    const rule = {
      name: 'keep',
      metric: 'rps_per_backend',
      scaleUpThreshold: 1e6,
      scaleDownThreshold: 0,
      minInstances: 2,
      maxInstances: 4,
      cooldownMs: 0,
      recovery: { unhealthyAfterMs: 4000 },
      provider: { profile: 'heal-node' },
    };
    const created = await suite.sys.call('POST', '/pools/heal/scaling-rules', { rule });
    expect(created.status).toBe(200);
    const ruleId = (created.json as { id: string }).id;

    const explain = <T>(wait: Promise<T>) => explained(wait, 'heal', () => suite.sys.evaluator.providerOf(ruleId) as ProcessProvider | undefined);
    const backends = async () => (await suite.sys.call('GET', '/pools/heal/backends')).json as BackendRow[];
    const start = await explain(
      eventually(
        async () => {
          const b = await backends();
          return b.length === 2 && b.every((x) => x.adminState === 'active') ? b : undefined;
        },
        120_000,
        'two instances',
      ),
    );
    await eventually(async () => (await fetch(`http://127.0.0.1:${listenPort}/`)).status === 200, 120_000, 'the pool serving');
    const provider = suite.sys.evaluator.providerOf(ruleId);
    expect(provider).toBeInstanceOf(ProcessProvider);
    const processes = provider as ProcessProvider;
    const instances = await processes.list();
    const pidAt = (port: number) => processes.pidOf(instances.find((i) => i.port === port)!.id)!;
    const [killed, hung] = start;

    // 1. kill -9: the process is gone, its backend would stay in the pool. It dies at the worst
    // moment: after recovery's pass has listed it alive and before the scaling decision counts
    // the instances. Recovery replaces it at its next pass; the decision must not add one more.
    const killedId = instances.find((i) => i.port === killed!.port)!.id;
    const list = processes.list.bind(processes);
    let armed = true;
    processes.list = async () => {
      // Read before any await: the caller's frame is on the stack only now.
      const fromRecovery = armed && (new Error().stack ?? '').includes('recoverInstances');
      const seen = await list();
      if (fromRecovery) {
        armed = false;
        process.kill(processes.pidOf(killedId)!, 'SIGKILL');
        await eventually(() => processes.pidOf(killedId) === undefined, 60_000, 'the killed instance seen exiting');
      }
      return seen;
    };
    // Its replacement's last step removes its backend; by then exactly one instance serves in its place.
    const afterKill = await explain(
      (async () => {
        const b = await eventually(
          async () => {
            const b = await backends();
            return !armed && !b.some((x) => x.port === killed!.port) ? b : undefined;
          },
          120_000,
          () => (armed ? 'recovery listing the instances (the kill waits for it)' : 'the killed instance replaced'),
        );
        if (b.length !== 2 || b.some((x) => x.adminState !== 'active')) throw new Error(`once the killed instance was replaced the pool has ${b.length} backend(s), not 2 active ones`);
        return b;
      })(),
    );
    expect(afterKill.some((x) => x.port === hung!.port)).toBe(true);

    // 2. SIGSTOP: the process lives and holds its port, but never answers again.
    const hungPid = pidAt(hung!.port);
    process.kill(hungPid, 'SIGSTOP');
    try {
      const afterHang = await explain(
        eventually(
          async () => {
            const b = await backends();
            return b.length === 2 && b.every((x) => x.adminState === 'active') && !b.some((x) => x.port === hung!.port) ? b : undefined;
          },
          120_000,
          'the hung instance replaced',
        ),
      );
      // The hung process was stopped, not left behind.
      await explain(eventually(() => !alive(hungPid), 60_000, 'the hung process stopped'));
      expect((await processes.list()).map((i) => i.port).sort()).toEqual(afterHang.map((b) => b.port).sort());
    } finally {
      if (alive(hungPid)) process.kill(hungPid, 'SIGKILL');
    }
    await explain(eventually(async () => (await fetch(`http://127.0.0.1:${listenPort}/`)).status === 200, 60_000, 'the pool serving after recovery'));

    // Each replacement is a sequence of events, in order: detected → started → healthy → joined → (drained) → removed.
    // A replacement's last step ('removed') is recorded after its old process has gone: wait for both.
    const events = await explain(
      eventually(
        async () => {
          const list = (
            (await suite.sys.call('GET', `/events?kind=recovery&poolId=${poolId}&limit=100`)).json as { message: string; data: { step: string; old: string | null; new?: string } }[]
          ).reverse();
          return [killed!.port, hung!.port].every((port) => list.some((e) => e.data.old === `127.0.0.1:${port}` && e.data.step === 'removed')) ? list : undefined;
        },
        60_000,
        'both replacements recorded to their last step',
      ),
    );
    for (const [port, steps] of [
      [killed!.port, ['detected', 'started', 'healthy', 'joined', 'drained', 'removed']],
      [hung!.port, ['detected', 'started', 'healthy', 'joined', 'drained', 'removed']],
    ] as const) {
      const mine = events.filter((e) => e.data.old === `127.0.0.1:${port}`).map((e) => e.data.step);
      expect(mine).toEqual(steps);
    }
    expect(events.find((e) => e.data.old === `127.0.0.1:${killed!.port}` && e.data.step === 'detected')?.message).toMatch(/exited/);
    expect(events.find((e) => e.data.old === `127.0.0.1:${hung!.port}` && e.data.step === 'detected')?.message).toMatch(/failed its health check/);
    // Nobody else was touched: exactly the two broken instances were replaced.
    expect(new Set(events.map((e) => e.data.old))).toEqual(new Set([`127.0.0.1:${killed!.port}`, `127.0.0.1:${hung!.port}`]));
  });

  it('takes back a replacement whose join fails: the event says why, its process is stopped, the old backend stays and the next pass replaces it', async () => {
    const { pool, old, provider, backends, explain } = await oneInstanceRule('retry');

    // The database refuses the pool's next new backend, once: the replacement fails after its start.
    const allow = await refuseNthBackend(suite.sys.db.prisma, pool.id, 1, 'refuse_first_join');
    try {
      const started: { id: string; port: number; pid: number }[] = [];
      const startOne = provider.startOne.bind(provider);
      provider.startOne = async (...args) => {
        const i = await startOne(...args);
        started.push({ id: i.id, port: i.port!, pid: provider.pidOf(i.id)! });
        return i;
      };
      const oldId = (await provider.list()).find((i) => i.port === old.port)!.id;
      process.kill(provider.pidOf(oldId)!, 'SIGKILL');

      const after = await explain(
        eventually(
          async () => {
            const b = await backends();
            return b.some((x) => x.port === old.port) ? undefined : b;
          },
          120_000,
          'the killed instance replaced',
        ),
      );
      // Two starts: the first was taken back, the second serves. Nothing runs beside the pool.
      expect(started).toHaveLength(2);
      const [refused, replacement] = started;
      expect(after.map((b) => [b.port, b.adminState])).toEqual([[replacement!.port, 'active']]);
      expect((await provider.list()).map((i) => i.id)).toEqual([replacement!.id]);
      expect(alive(refused!.pid)).toBe(false);

      const events = ((await suite.sys.call('GET', `/events?kind=recovery&poolId=${pool.id}&limit=100`)).json as { severity: string; message: string; data: Record<string, unknown> }[]).reverse();
      const address = (port: number) => `127.0.0.1:${port}`;
      // The old backend stayed through the failure: the next pass replaced that same one.
      expect(events.map((e) => [e.data.step, e.data.old])).toEqual(
        ['detected', 'started', 'healthy', 'failed', 'detected', 'started', 'healthy', 'joined', 'drained', 'removed'].map((step) => [step, address(old.port)]),
      );
      const failed = events.find((e) => e.data.step === 'failed')!;
      expect(failed.severity).toBe('error');
      expect(failed.data).toMatchObject({ new: address(refused!.port), failedStep: 'joined', reason: 'database error: refused by a test trigger' });
      expect(failed.message).toBe(
        `replacement ${address(refused!.port)} for ${address(old.port)} failed while adding it to the pool: database error: refused by a test trigger; stopped it; ${address(old.port)} stays until the next pass tries again`,
      );
    } finally {
      await allow();
    }
  });

  it("an instance that exits as a scale-up starts new ones is replaced by recovery alone: the pool ends at the rule's count, not one over", async () => {
    const { rule, ruleId, version, old, provider, backends, explain } = await oneInstanceRule('race');
    // The scale-up below kills the one instance just before it starts anything, and waits until it is seen gone.
    let armed = true;
    const exitFirst =
      <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
      async (...args: A): Promise<R> => {
        if (armed && (new Error().stack ?? '').includes('scaleUp')) {
          armed = false;
          const id = (await provider.list()).find((i) => i.port === old.port)!.id;
          process.kill(provider.pidOf(id)!, 'SIGKILL');
          await eventually(() => provider.pidOf(id) === undefined, 60_000, 'the killed instance seen exiting');
        }
        return call(...args);
      };
    provider.startOne = exitFirst(provider.startOne.bind(provider));
    provider.scaleTo = exitFirst(provider.scaleTo.bind(provider));
    // A minimum of two: the rule scales up from the one instance it counts.
    expect((await suite.sys.call('PUT', `/scaling-rules/${ruleId}`, { expectedVersion: version, rule: { ...rule, minInstances: 2 } })).status).toBe(200);

    // Recovery's last step removes the dead backend; by then the pool has what the rule asks, and no more.
    const after = await explain(
      eventually(
        async () => {
          const b = await backends();
          return !armed && !b.some((x) => x.port === old.port) ? b : undefined;
        },
        120_000,
        () => (armed ? 'the scale-up (the kill waits for it)' : 'the killed instance replaced'),
      ),
    );
    expect(after.map((b) => b.adminState)).toEqual(['active', 'active']);
    expect((await provider.list()).map((i) => i.port).sort()).toEqual(after.map((b) => b.port).sort());
  });
});
