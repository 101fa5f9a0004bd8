import { stopTestServer } from '@fulcrum/db/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FULCRUMCTL, type SystemHarness, driveTraffic, eventually, startSystem } from './system-harness';

let sys: SystemHarness;
/** Each test deploys to a pool of its own, so a failure cannot leave the next one a pool in the wrong state. */
let pool: string;
let listenPort: number;
let pools = 0;

beforeAll(async () => {
  sys = await startSystem();
  await sys.startDataplane();
});

beforeEach(async () => {
  pool = `shop-${++pools}`;
  ({ listenPort } = await sys.createPool({ name: pool, algorithm: 'weighted_round_robin', healthCheck: { path: '/health', intervalMs: 200, rise: 1, fall: 2 } }));
});

afterAll(async () => {
  await sys?.close();
  await stopTestServer();
});

async function poolBackends() {
  const r = await sys.call('GET', `/pools/${pool}/backends`);
  return r.json as { id: string; host: string; port: number; weight: number; adminState: string; versionLabel: string | null }[];
}

async function waitServing(body: string) {
  await eventually(async () => (await fetch(`http://127.0.0.1:${listenPort}/`).then((r) => r.text())) === body, 60_000, `pool serving ${body}`);
}

/** The pool's first version: one backend, served by the data plane. */
async function withVersion(name: string) {
  const b = await sys.startBackend(name);
  expect((await sys.call('POST', `/pools/${pool}/backends`, { host: '127.0.0.1', port: b.port, versionLabel: name })).status).toBe(200);
  await waitServing(name);
  return b;
}

async function waitDeploy(id: string) {
  return eventually(
    async () => {
      const d = (await sys.call('GET', `/deploys/${id}`)).json as { status: string };
      return ['succeeded', 'failed', 'aborted', 'rolled_back'].includes(d.status) ? d : undefined;
    },
    90_000,
    `deploy ${id} to end`,
  );
}

// Deadlines only bound a hang: a loaded machine runs the same steps, later (each fulcrumctl run
// compiles its TypeScript through tsx: the blue/green test took 134 s at a load average of 30).
describe('deploys through the REST API with a data plane and traffic', { timeout: 600_000 }, () => {
  it('validates, rolls a canary out with zero failed requests, and refuses a second deploy meanwhile', async () => {
    const v1 = await withVersion('v1');

    const bad = await sys.call('POST', `/pools/${pool}/deploys`, { version: '', backends: [], strategy: 'sideways' });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.json.data.fieldErrors)).toEqual(expect.arrayContaining(['version', 'backends', 'strategy']));
    const clash = await sys.call('POST', `/pools/${pool}/deploys`, { version: 'v1b', backends: [{ host: '127.0.0.1', port: v1.port }] });
    expect(clash.status).toBe(400);
    expect(clash.json.data.fieldErrors['backends.0.port']).toBeDefined();

    const v2 = await sys.startBackend('v2');
    const traffic = driveTraffic(listenPort);
    const body = { version: 'v2', backends: [{ host: '127.0.0.1', port: v2.port }], strategy: 'canary', steps: [20, 60, 100], stepPauseMs: 1500, drainTimeoutMs: 3000, idempotencyKey: 'build-42' };
    const started = await sys.call('POST', `/pools/${pool}/deploys`, body);
    expect(started.status).toBe(200);
    const again = await sys.call('POST', `/pools/${pool}/deploys`, body);
    expect(again.json.id).toBe(started.json.id);
    const second = await sys.call('POST', `/pools/${pool}/deploys`, { ...body, idempotencyKey: 'build-43' });
    expect(second.status).toBe(409);

    await eventually(async () => (await sys.call('GET', `/deploys/${started.json.id}`)).json.steps.some((s: { name: string }) => s.name === 'gate 20%'), 30_000, 'first gate');
    const mid = await poolBackends();
    const newW = mid.find((b) => b.port === v2.port)!.weight;
    const oldW = mid.find((b) => b.port === v1.port)!.weight;
    expect(newW / (newW + oldW)).toBeGreaterThan(0.1);

    const final = (await waitDeploy(started.json.id)) as { status: string; finishedAt: string; steps: { name: string; status: string; createdAt: string }[] };
    const tally = await traffic.stop();
    expect(final.status).toBe('succeeded');
    // Every step is recorded before the status says it is over (a CI reading `succeeded` sees `done`).
    expect(final.steps.every((s) => s.createdAt <= final.finishedAt)).toBe(true);
    expect(final.steps.map((s) => s.name)).toEqual(
      expect.arrayContaining(['plan', 'healthy', 'shift 20%', 'gate 20%', 'shift 60%', 'gate 60%', 'shift 100%', 'gate 100%', 'drain', 'remove old', 'done']),
    );
    expect(tally.failed).toBe(0);
    expect(tally.bodies.v1).toBeGreaterThan(0);
    expect(tally.bodies.v2).toBeGreaterThan(0);
    const after = await poolBackends();
    expect(after.map((b) => [b.port, b.versionLabel, b.weight, b.adminState])).toEqual([[v2.port, 'v2', 1, 'active']]);
    await waitServing('v2');
    const events = (await sys.call('GET', `/events?kind=deploy_step&limit=100`)).json as { message: string }[];
    expect(events.some((e) => e.message.includes('gate 60% passed'))).toBe(true);
  });

  it('aborts a canary whose new version answers 500s and rolls it back', async () => {
    await withVersion('v2');
    const bad = await sys.startBackend('v3', 'fail');
    const traffic = driveTraffic(listenPort);
    const started = await sys.call('POST', `/pools/${pool}/deploys`, { version: 'v3', backends: [{ host: '127.0.0.1', port: bad.port }], steps: [30, 100], stepPauseMs: 2500, maxErrorRate: 0.05 });
    expect(started.status).toBe(200);
    const final = (await waitDeploy(started.json.id)) as { status: string; error: string; steps: { name: string; status: string; detail: { failures: number; errorRate: number } }[] };
    await traffic.stop();
    expect(final.status).toBe('rolled_back');
    // The 500s show as the error rate, and often also as a passive ejection by the data plane.
    expect(final.error).toMatch(/gate 30% failed: .*(error rate|ejected)/);
    const gate = final.steps.find((s) => s.name === 'gate 30%')!;
    // A gate failed by the error rate saw the failures; one failed by the data plane ejecting the
    // backend first may have seen none (the data plane stopped sending it traffic).
    if (/error rate/.test(final.error)) {
      expect(gate.detail.failures).toBeGreaterThan(0);
      expect(gate.detail.errorRate).toBeGreaterThan(0.05);
    }
    expect(final.steps.find((s) => s.name === 'gate 30%')?.status).toBe('failed');
    expect(final.steps.some((s) => s.name === 'shift 100%')).toBe(false);
    const after = await poolBackends();
    expect(after.map((b) => [b.versionLabel, b.weight, b.adminState])).toEqual([['v2', 1, 'active']]);
    await waitServing('v2');
  });

  it('aborts on request and restores the pool; a finished deploy cannot be aborted', async () => {
    await withVersion('v2');
    const v3b = await sys.startBackend('v3b');
    const started = await sys.call('POST', `/pools/${pool}/deploys`, { version: 'v3b', backends: [{ host: '127.0.0.1', port: v3b.port }], steps: [50, 100], stepPauseMs: 60_000 });
    expect(started.status).toBe(200);
    await eventually(async () => (await sys.call('GET', `/deploys/${started.json.id}`)).json.steps.some((s: { name: string }) => s.name === 'shift 50%'), 30_000, 'first shift');
    const abort = await sys.call('POST', `/deploys/${started.json.id}/abort`, { reason: 'wrong build' });
    expect(abort.status).toBe(200);
    const final = (await waitDeploy(started.json.id)) as { status: string; error: string };
    expect(final.status).toBe('aborted');
    expect(final.error).toMatch(/wrong build/);
    expect((await poolBackends()).map((b) => [b.versionLabel, b.weight, b.adminState])).toEqual([['v2', 1, 'active']]);
    expect((await sys.call('POST', `/deploys/${started.json.id}/abort`, {})).status).toBe(409);
    expect((await sys.call('GET', '/deploys/nope')).status).toBe(404);
  });

  it('ends succeeded when the database refuses its final status write for a moment, and a replica that takes a finished deploy over does not roll it back', async () => {
    await withVersion('v1');
    const v2 = await sys.startBackend('v2');
    const prisma = sys.db.prisma;
    // The first two writes of `succeeded` are refused, as during a failover.
    await prisma.$executeRawUnsafe('CREATE SEQUENCE refuse_end_tries');
    await prisma.$executeRawUnsafe(
      `CREATE FUNCTION refuse_end() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.status = 'succeeded' AND OLD.status <> 'succeeded' AND nextval('refuse_end_tries') <= 2 THEN RAISE EXCEPTION 'refused by a test trigger'; END IF; RETURN NEW; END $$`,
    );
    await prisma.$executeRawUnsafe(`CREATE TRIGGER refuse_end BEFORE UPDATE ON "Deploy" FOR EACH ROW EXECUTE FUNCTION refuse_end()`);
    try {
      const started = await sys.call('POST', `/pools/${pool}/deploys`, { version: 'v2', backends: [{ host: '127.0.0.1', port: v2.port }], strategy: 'bluegreen', drainTimeoutMs: 500, minRequests: 0 });
      expect(started.status).toBe(200);
      const final = (await waitDeploy(started.json.id)) as { status: string; error: string | null };
      expect(final).toMatchObject({ status: 'succeeded', error: null });
      expect(Number((await prisma.$queryRawUnsafe<{ last_value: bigint }[]>('SELECT last_value FROM refuse_end_tries'))[0]!.last_value)).toBeGreaterThanOrEqual(3);
      await waitServing('v2');
      // A deploy whose replica stopped after its done step, before its status: taken over, it ends succeeded, v2 serving.
      await prisma.deploy.update({ where: { id: started.json.id }, data: { status: 'running', finishedAt: null, updatedAt: new Date(Date.now() - 3_600_000) } });
      await sys.restartDeployRunner({ tickMs: 200, staleMs: 1_000 });
      const taken = (await waitDeploy(started.json.id)) as { status: string };
      expect(taken.status).toBe('succeeded');
      expect((await poolBackends()).map((b) => b.versionLabel)).toEqual(['v2']);
    } finally {
      await prisma.$executeRawUnsafe('DROP TRIGGER IF EXISTS refuse_end ON "Deploy"');
      await prisma.$executeRawUnsafe('DROP FUNCTION IF EXISTS refuse_end');
      await prisma.$executeRawUnsafe('DROP SEQUENCE IF EXISTS refuse_end_tries');
      await sys.restartDeployRunner({ tickMs: 200 });
    }
  });

  it('deploys blue/green through fulcrumctl --wait, printing progress', async () => {
    await withVersion('v3');
    const v4 = await sys.startBackend('v4');
    const traffic = driveTraffic(listenPort);
    const res = await sys.run(
      [
        FULCRUMCTL,
        'deploy',
        'start',
        '--pool',
        pool,
        '--version',
        'v4',
        '--backend',
        `127.0.0.1:${v4.port}`,
        '--strategy',
        'bluegreen',
        '--pause',
        '1s',
        '--drain-timeout',
        '2s',
        '--wait',
        '--interval',
        '200ms',
      ],
      {
        FULCRUM_URL: sys.url,
        FULCRUM_TOKEN: sys.operatorToken,
      },
    );
    const tally = await traffic.stop();
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(new RegExp(`started deploy \\S+: bluegreen of version v4 on ${pool}\n`));
    expect(res.stdout).toMatch(/switch done/);
    expect(res.stdout).toMatch(/succeeded/);
    expect(tally.failed).toBe(0);
    await waitServing('v4');

    const failing = await sys.startBackend('v5', 'fail');
    const traffic2 = driveTraffic(listenPort);
    const rolled = await sys.run([
      FULCRUMCTL,
      '--url',
      sys.url,
      '--token',
      sys.operatorToken,
      'deploy',
      'start',
      '--pool',
      pool,
      '--version',
      'v5',
      '--backend',
      `127.0.0.1:${failing.port}`,
      '--steps',
      '50,100',
      '--pause',
      '2s',
      '--wait',
      '--interval',
      '200ms',
    ]);
    await traffic2.stop();
    expect(rolled.code).toBe(1);
    expect(rolled.stdout).toMatch(/rolled_back: gate 50% failed/);

    const usage = await sys.run([FULCRUMCTL, '--url', sys.url, '--token', sys.operatorToken, 'deploy', 'start', '--pool', pool, '--version', 'v6', '--backend', '127.0.0.1:0']);
    expect(usage.code).toBe(2);
    const refused = await sys.run([
      FULCRUMCTL,
      '--url',
      sys.url,
      '--token',
      sys.operatorToken,
      'deploy',
      'start',
      '--pool',
      pool,
      '--version',
      'v6',
      '--backend',
      '127.0.0.1:1',
      '--max-error-rate',
      '3',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/maxErrorRate: /);
  });
});

describe('fulcrumctl against the control plane', { timeout: 600_000 }, () => {
  const ctl = (...args: string[]) => sys.run([FULCRUMCTL, ...args], { FULCRUM_URL: sys.url, FULCRUM_TOKEN: sys.operatorToken });

  it('lists pools, adds, drains and removes backends, lists and rolls back revisions', async () => {
    const pools = await ctl('pools', 'list');
    expect(pools.code).toBe(0);
    expect(pools.stdout).toMatch(/^NAME\s+PROTOCOL\s+LISTEN/);
    expect(pools.stdout).toMatch(new RegExp(`${pool}\\s+http\\s+127\\.0\\.0\\.1:${listenPort}\\s+weighted_round_robin`));
    const json = JSON.parse((await ctl('--json', 'pools', 'list')).stdout) as { name: string }[];
    expect(json.map((p) => p.name)).toContain(pool);

    const added = await ctl('backends', 'add', '--pool', pool, '127.0.0.1:9', '--weight', '2', '--reason', 'spare');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/added 127\.0\.0\.1:9 to shop-\d+/);
    const dup = await ctl('backends', 'add', '--pool', pool, '127.0.0.1:9');
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/HTTP 400/);
    expect(dup.stderr).toMatch(/\n {2}port: .*already has a backend/);
    const badWeight = await ctl('backends', 'add', '--pool', pool, '127.0.0.1:10', '--weight', '0');
    expect(badWeight.stderr).toMatch(/weight: must be at least 1/);

    expect((await ctl('backends', 'drain', '--pool', pool, '127.0.0.1:9')).stdout).toMatch(/draining 127\.0\.0\.1:9/);
    const list = await ctl('backends', 'list', '--pool', pool);
    expect(list.stdout).toMatch(/127\.0\.0\.1:9\s+2\s+draining/);
    expect((await ctl('backends', 'remove', '--pool', pool, '127.0.0.1:9')).code).toBe(0);
    const gone = await ctl('backends', 'remove', '--pool', pool, '127.0.0.1:9');
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/no backend at 127\.0\.0\.1:9/);

    const revisions = JSON.parse((await ctl('--json', 'revisions', 'list', '--limit', '3')).stdout) as { version: number; message: string }[];
    expect(revisions[0]!.message).toMatch(/remove backend 127\.0\.0\.1:9/);
    const spare = revisions.find((r) => r.message === 'spare');
    const target = spare ?? revisions[2]!;
    const rolled = await ctl('revisions', 'rollback', String(target.version), '--message', 'bring it back');
    expect(rolled.code).toBe(0);
    expect(rolled.stdout).toMatch(new RegExp(`restored revision ${target.version} as new revision \\d+`));

    const noAuth = await sys.run([FULCRUMCTL, 'pools', 'list'], { FULCRUM_URL: sys.url, FULCRUM_TOKEN: 'flc_wrong' });
    expect(noAuth.code).toBe(1);
    expect(noAuth.stderr).toMatch(/HTTP 401/);
    const nothing = await sys.run([FULCRUMCTL, 'pools', 'list'], { FULCRUM_URL: '', FULCRUM_TOKEN: '' });
    expect(nothing.code).toBe(2);
    expect(nothing.stderr).toMatch(/--url and --token/);
  });
});
