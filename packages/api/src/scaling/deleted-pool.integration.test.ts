import { describe, expect, it } from 'vitest';
import { eventually } from '../services/deploys/system-harness';
import type { ProcessProvider } from './providers';
import { alive } from './providers/process-provider';
import { poolWithRule, runningPorts, scalingSuite } from './scaling-harness';

/** Evaluator ticks so far. */
let ticks = 0;
const suite = scalingSuite('deleted-pool', 300, () => ticks++);
// Passes the evaluator makes after a deletion before the test stops waiting for it to act.
const PASSES = 100;

interface EventRow {
  severity: string;
  poolId: string | null;
  message: string;
  data: Record<string, unknown>;
}

/** A pool of its own whose rule scales it up to two instances (thresholds no traffic here reaches: only the minimum scales it), once both serve as its backends. */
async function scaledPool(name: string) {
  const { sys } = suite;
  const { pool, ruleId, version: ruleVersion, script } = await poolWithRule(suite, name, { minInstances: 2, maxInstances: 2 });
  const ports = await eventually(
    async () => {
      const b = (await sys.call('GET', `/pools/${name}/backends`)).json as { port: number; adminState: string }[];
      return b.length === 2 && b.every((x) => x.adminState === 'active') ? b.map((x) => x.port).sort((x, y) => x - y) : undefined;
    },
    120_000,
    `two instances of ${name}`,
  );
  const provider = sys.evaluator.providerOf(ruleId) as ProcessProvider;
  const pids = (await provider.list()).map((i) => provider.pidOf(i.id)!);
  expect(pids.filter(alive)).toHaveLength(2);
  expect(runningPorts(script)).toEqual(ports);
  return { pool, ruleId, ruleVersion, provider, script, pids, ports };
}

type Scaled = Awaited<ReturnType<typeof scaledPool>>;

/**
 * After the pool was deleted, the evaluator's next passes stop its instances: waits for the event
 * that says so (or for PASSES passes without it), then checks that no process of the pool runs,
 * by its pid and by /proc, and that the provider lists none and is forgotten.
 */
async function retired(name: string, scaled: Scaled): Promise<void> {
  const { sys } = suite;
  const deletedAt = ticks;
  const { event } = await eventually(
    async () => {
      const events = (await sys.call('GET', '/events?kind=scaling&limit=100')).json as EventRow[];
      const event = events.find((e) => e.data.pool === name && e.data.step === 'pool deleted');
      return event || ticks - deletedAt >= PASSES ? { event } : undefined;
    },
    300_000,
    'the evaluator passing after the deletion',
  );
  const explain = () => `pids ${JSON.stringify(scaled.pids)}; evaluator log (latest):\n${sys.logTail().join('\n')}`;
  expect(event, `no event of the deleted pool after ${PASSES} passes; ${explain()}`).toBeDefined();
  expect(event!.severity).toBe('info');
  expect(event!.poolId).toBeNull();
  expect(event!.data).toMatchObject({ rule: 'bounds', stopped: scaled.ports.map((p) => `127.0.0.1:${p}`) });
  expect(event!.message).toBe(`pool ${name} was deleted: stopped the instances its scaling rule bounds had started (${scaled.ports.map((p) => `127.0.0.1:${p}`).join(', ')})`);
  expect(scaled.pids.filter(alive), explain()).toEqual([]);
  expect(runningPorts(scaled.script)).toEqual([]);
  expect(await scaled.provider.list()).toEqual([]);
  expect(sys.evaluator.providerOf(scaled.ruleId)).toBeUndefined();
}

// Deadlines only bound a hang: a loaded machine runs the same steps, later.
describe('a deleted pool', { timeout: 300_000 }, () => {
  it('deleted through the API: the instances its rule started are stopped, the provider lists none, and an event names them', async () => {
    const scaled = await scaledPool('dropped');
    const { version } = (await suite.sys.call('GET', '/pools/dropped')).json as { version: number };
    expect((await suite.sys.call('DELETE', `/pools/dropped?expectedVersion=${version}`)).status).toBe(200);
    await retired('dropped', scaled);
  });

  it('dropped by rolling back to a revision from before it: the same', async () => {
    const [before] = (await suite.sys.call('GET', '/revisions?limit=1')).json as { version: number }[];
    const scaled = await scaledPool('rolled');
    expect((await suite.sys.call('POST', `/revisions/${before!.version}/rollback`, {})).status).toBe(200);
    expect((await suite.sys.call('GET', '/pools/rolled')).status).toBe(404);
    await retired('rolled', scaled);
  });

  it('a rule deleted on its own leaves its instances serving the pool', async () => {
    const scaled = await scaledPool('kept');
    expect((await suite.sys.call('DELETE', `/scaling-rules/${scaled.ruleId}?expectedVersion=${scaled.ruleVersion}`)).status).toBe(200);
    // Passes enough for a wrong retirement to have happened.
    const from = ticks;
    await eventually(() => ticks - from >= 20, 120_000, '20 evaluator passes');
    expect(scaled.pids.filter(alive)).toHaveLength(2);
    expect(runningPorts(scaled.script)).toEqual(scaled.ports);
    await scaled.provider.stopAll();
  });
});
