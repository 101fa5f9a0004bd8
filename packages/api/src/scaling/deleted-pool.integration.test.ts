import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually } from '../services/deploys/system-harness';
import { type ProcessProvider, scalingRecordsRoot } from './providers';
import { startFakeApi } from './providers/fake-api-server';
import { fakeEngine } from './providers/fake-docker-engine';
import { processGroupMembers } from './providers/proc-stat';
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
  const { pool, ruleId, version: ruleVersion, rule, script } = await poolWithRule(suite, name, { minInstances: 2, maxInstances: 2 });
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
  return { pool, ruleId, ruleVersion, rule, provider, script, pids, ports };
}

type Scaled = Awaited<ReturnType<typeof scaledPool>>;

/** Until the evaluator has made `n` more passes: enough for a wrong retirement to have happened. */
async function passes(n: number): Promise<void> {
  const from = ticks;
  await eventually(() => ticks - from >= n, 120_000, `${n} evaluator passes`);
}

/** The pool gone straight from the database, as another replica's rollback leaves it: its own listener, then the pool with its rule and backends. */
async function deletePoolRows(poolId: string): Promise<void> {
  const { prisma } = suite.sys.db;
  await prisma.$transaction([prisma.listener.deleteMany({ where: { poolId } }), prisma.pool.delete({ where: { id: poolId } })]);
}

/**
 * Waits for the event that says the deleted pool's instances were stopped (or for PASSES passes
 * without it), and checks that it names the pool, the rule and the instances.
 */
async function stoppedEvent(name: string, rule: string, stopped: string[], explain: () => string): Promise<void> {
  const deletedAt = ticks;
  const { event } = await eventually(
    async () => {
      const events = (await suite.sys.call('GET', '/events?kind=scaling&limit=100')).json as EventRow[];
      const event = events.find((e) => e.data.pool === name && e.data.step === 'pool deleted');
      return event || ticks - deletedAt >= PASSES ? { event } : undefined;
    },
    300_000,
    'the evaluator passing after the deletion',
  );
  expect(event, `no event of the deleted pool after ${PASSES} passes; ${explain()}`).toBeDefined();
  expect(event!.severity).toBe('info');
  expect(event!.poolId).toBeNull();
  expect(event!.data).toMatchObject({ rule, stopped });
  expect(event!.message).toBe(`pool ${name} was deleted: stopped the instances its scaling rule ${rule} had started (${stopped.join(', ')})`);
}

/**
 * After the pool was deleted, the evaluator's next passes stop its instances: waits for the event
 * that says so (or for PASSES passes without it), then checks that no process of the pool runs,
 * by its pid and by /proc, and that the provider lists none and is forgotten.
 */
async function retired(name: string, scaled: Scaled, rule = 'bounds'): Promise<void> {
  const { sys } = suite;
  const explain = () => `pids ${JSON.stringify(scaled.pids)}; evaluator log (latest):\n${sys.logTail().join('\n')}`;
  await stoppedEvent(
    name,
    rule,
    scaled.ports.map((p) => `127.0.0.1:${p}`),
    explain,
  );
  // By their process groups: a stopped child of this test process is a zombie (alive to a signal) until Node reaps it.
  expect(
    scaled.pids.filter((pid) => processGroupMembers(pid).length > 0),
    explain(),
  ).toEqual([]);
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
    await passes(20);
    expect(scaled.pids.filter(alive)).toHaveLength(2);
    expect(runningPorts(scaled.script)).toEqual(scaled.ports);
    await scaled.provider.stopAll();
  });
});

// The control plane stopped, the database changed, the control plane started again: it has only
// the database and the instance records under FULCRUM_DATA_DIR/scaling/<rule id>/ to go by.
describe('deleted while the control plane is down', { timeout: 300_000 }, () => {
  it('the pool (another replica rolled back to before it): at the next start its instances are stopped and an event names them', async () => {
    const scaled = await scaledPool('offline');
    await suite.sys.restartEvaluator(() => deletePoolRows(scaled.pool.id));
    await retired('offline', scaled);
  });

  it('the pool and its rule renamed first: the instances are found by the rule’s id, and the event names both by their new names', async () => {
    const scaled = await scaledPool('named');
    const { sys } = suite;
    const { version } = (await sys.call('GET', '/pools/named')).json as { version: number };
    expect((await sys.call('PATCH', `/pools/${scaled.pool.id}`, { expectedVersion: version, patch: { name: 'renamed' } })).status).toBe(200);
    const put = await sys.call('PUT', `/scaling-rules/${scaled.ruleId}`, { expectedVersion: scaled.ruleVersion, rule: { ...scaled.rule, name: 'sized' } });
    expect(put.status, JSON.stringify(put.json)).toBe(200);
    // A pass reads the new names; the instances keep serving the renamed pool.
    await passes(3);
    expect(scaled.pids.filter(alive)).toHaveLength(2);
    await sys.restartEvaluator(() => deletePoolRows(scaled.pool.id));
    await retired('renamed', scaled, 'sized');
  });

  it('the pool of a docker rule: at the next start its containers, found by the labels naming their rule by id, are stopped and an event names them', async () => {
    const { sys } = suite;
    const engine = await startFakeApi(fakeEngine());
    try {
      await sys.createProfile('boxed-docker', { kind: 'docker', baseUrl: engine.url, image: 'ghcr.io/acme/web:1', containerPort: 8080 });
      const pool = await sys.createPool({ name: 'boxed', healthCheck: { enabled: false } });
      // Disabled: its containers are made here (the fake Engine's serve nothing a health check would pass).
      const rule = { name: 'boxes', enabled: false, metric: 'rps_per_backend', scaleUpThreshold: 1e6, scaleDownThreshold: 0, minInstances: 0, maxInstances: 2, provider: { profile: 'boxed-docker' } };
      const created = await sys.call('POST', '/pools/boxed/scaling-rules', { rule });
      expect(created.status, JSON.stringify(created.json)).toBe(200);
      const provider = (await sys.evaluator.runtimeFor(created.json.id))!.provider;
      const started = await provider.scaleTo(2);
      const addresses = started.map((i) => `127.0.0.1:${i.port}`);
      await sys.restartEvaluator(() => deletePoolRows(pool.id));
      await stoppedEvent('boxed', 'boxes', addresses, () => `evaluator log (latest):\n${sys.logTail().join('\n')}`);
      const removed = engine.requests.filter((r) => r.method === 'DELETE').map((r) => r.url);
      expect(removed.sort()).toEqual(started.map((i) => `/v1.43/containers/${i.id}?force=true`).sort());
      expect(await provider.list()).toEqual([]);
    } finally {
      await engine.close();
    }
  });

  it('the rule alone: its instances keep serving the pool, and are stopped when the pool is deleted later', async () => {
    const scaled = await scaledPool('orphaned');
    await suite.sys.restartEvaluator(async () => {
      await suite.sys.db.prisma.scalingRule.delete({ where: { id: scaled.ruleId } });
    });
    await passes(20);
    expect(scaled.pids.filter(alive)).toHaveLength(2);
    expect(runningPorts(scaled.script)).toEqual(scaled.ports);
    const { version } = (await suite.sys.call('GET', '/pools/orphaned')).json as { version: number };
    expect((await suite.sys.call('DELETE', `/pools/orphaned?expectedVersion=${version}`)).status).toBe(200);
    await retired('orphaned', scaled);
  });

  it('the pool, with records written before they named it: the instances are left running, as before', async () => {
    const scaled = await scaledPool('unnamed');
    await suite.sys.restartEvaluator(async () => {
      const dir = path.join(scalingRecordsRoot(), scaled.ruleId);
      for (const file of readdirSync(dir)) {
        const { owner: _owner, ...record } = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
        writeFileSync(path.join(dir, file), JSON.stringify(record));
      }
      await deletePoolRows(scaled.pool.id);
    });
    await passes(20);
    expect(scaled.pids.filter(alive)).toHaveLength(2);
    expect(runningPorts(scaled.script)).toEqual(scaled.ports);
    await scaled.provider.stopAll();
  });
});
