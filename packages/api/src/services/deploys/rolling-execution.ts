import type { Backend, Prisma } from '@fulcrum/db';
import { ZDeployStart, backendAddress } from '@fulcrum/protocol';
import { type Instance, type ScalingProvider, remainingAfter } from '../../scaling/providers';
import { attempt, scalingTag } from '../../scaling/new-instance';
import { type Retired, type Unstopped, stopRetired } from '../../scaling/retired-instances';
import { getScalingEvaluator } from '../../scaling/scaling-evaluator';
import { waitDrained } from '../../scaling/wait-drained';
import { errorText } from '../../error-text';
import { toPool } from '../pools/pool-mapper';
import { DeployExecution, StopRun } from './deploy-execution';
import { addBackend, patchBackend, removeBackend, waitRevisionApplied } from './managed-backends';
import { waitHealthy } from './probe-backend';

const APPLY_WAIT_MS = 15_000;

/** An instance of the rule with the backend it serves as; what a step records so a rollback can undo it. */
interface Member {
  instanceId: string;
  backendId: string | null;
  address: string;
  version: string | null;
}

/**
 * A rolling deploy: the new version is started through the pool's provider (`{version}` in the
 * profile's command or image), `maxSurge` at a time beyond the current count while up to
 * `maxUnavailable` old instances may already be out; each new instance must pass the pool's
 * health check and join, then a gate (health and error rate over `stepPauseMs`) must pass before
 * as many old ones are drained, removed and stopped. A failed gate or an abort rolls back:
 * old-version instances are started again for those already stopped, the new ones go.
 */
export class RollingExecution extends DeployExecution {
  private provider!: ScalingProvider;
  /** The rule's instances whose stop failed: no capacity, and the autoscaler stops them again at every pass. */
  private unstopped!: Unstopped;
  private rule!: Prisma.ScalingRuleGetPayload<{ include: { pool: true } }>;
  /** New instances that joined, in order (the gate reads their backends). */
  private joined: Member[] = [];
  /** Old instances stopped so far (a rollback starts their version again). */
  private retired: Member[] = [];

  protected override async news(): Promise<Backend[]> {
    const ids = this.joined.map((m) => m.backendId).filter((id): id is string => !!id);
    return this.prisma.backend.findMany({ where: { id: { in: ids } }, orderBy: { createdAt: 'asc' } });
  }

  private async load(): Promise<void> {
    const d = await this.prisma.deploy.findUniqueOrThrow({ where: { id: this.deployId } });
    this.poolId = d.poolId;
    this.spec = ZDeployStart.parse(d.spec);
    this.rule = await this.prisma.scalingRule.findFirstOrThrow({ where: { poolId: d.poolId, name: this.spec.rule }, include: { pool: true } });
    const evaluator = getScalingEvaluator();
    const driver = evaluator ? await evaluator.runtimeFor(this.rule.id) : undefined;
    const provider = driver?.provider;
    if (!driver || !provider?.startOne || !provider.stopInstances) throw new StopRun(`no scaling evaluator in this control plane can start instances for rule ${this.rule.name}`, 'failed');
    this.provider = provider;
    this.unstopped = driver.unstopped;
  }

  /** The rule's instances serving now, each with its backend: what the deploy replaces. */
  private async current(): Promise<Member[]> {
    const managed = await this.prisma.backend.findMany({ where: { poolId: this.poolId, managedBy: scalingTag(this.rule.id), adminState: 'active' } });
    let instances: Instance[];
    try {
      instances = await this.provider.list();
    } catch (err) {
      throw new StopRun(`could not list the instances of rule ${this.rule.name}: ${errorText(err)}`, 'failed');
    }
    return (
      instances
        // One whose stop failed is out of the pool already.
        .filter((i) => i.host && i.port && !this.unstopped.has(i.id))
        .map((i) => {
          const address = backendAddress({ host: i.host!, port: i.port! });
          return { instanceId: i.id, backendId: managed.find((b) => backendAddress(b) === address)?.id ?? null, address, version: i.version ?? null };
        })
    );
  }

  override async run(): Promise<void> {
    let olds: Member[];
    try {
      await this.load();
      olds = await this.current();
    } catch (err) {
      // Nothing has changed yet: the deploy fails, naming why.
      const message = errorText(err);
      if (this.poolId) await this.step({ name: 'plan', status: 'failed', message });
      return this.finish('failed', message);
    }
    const version = this.spec.version;
    const pool = toPool(this.rule.pool);
    const { maxSurge, maxUnavailable } = this.spec;
    await this.step({
      name: 'plan',
      status: 'done',
      message: `replace ${olds.length} instance(s) (${olds.map((o) => `${o.address}${o.version ? ` ${o.version}` : ''}`).join(', ') || 'none'}) with version ${version} through rule ${this.rule.name}, ${maxSurge} surge / ${maxUnavailable} unavailable at a time`,
      data: { olds, rule: this.rule.name, maxSurge, maxUnavailable },
    });
    try {
      const remaining = [...olds];
      // No instances yet: the deploy starts as many as the rule's minimum, so the version is there to see.
      let toStart = olds.length ? 0 : Math.max(1, (this.rule.config as { minInstances?: number }).minInstances ?? 1);
      let round = 0;
      while (remaining.length || toStart > 0) {
        round++;
        const batch = remaining.length ? Math.min(remaining.length, maxSurge + maxUnavailable) : toStart;
        // Taken out before their replacements are healthy: at most maxUnavailable.
        const early = remaining.length ? Math.max(0, batch - maxSurge) : 0;
        for (const old of remaining.splice(0, early)) await this.retire(old, `round ${round}: make room`);
        const fresh: Instance[] = [];
        for (let i = 0; i < batch; i++) fresh.push(await this.launch(round));
        await this.admit(fresh, round, pool);
        await this.gate(`round ${round}`, pool.healthCheck, pool.protocol);
        for (const old of remaining.splice(0, batch - early)) await this.retire(old, `round ${round}: replaced`);
        toStart = 0;
      }
      // Later scale-ups and recoveries start the new version too.
      await this.prisma.scalingRule.update({ where: { id: this.rule.id }, data: { params: { ...(this.rule.params as Record<string, string>), version } } });
      await this.step({ name: 'done', status: 'done', message: `version ${version} runs on all ${this.joined.length} instance(s) of rule ${this.rule.name}` });
    } catch (err) {
      const stop = err instanceof StopRun ? err : new StopRun(err instanceof Error ? err.message : String(err), 'failed');
      if (stop.kind === 'shutdown') return this.hooks.log(`deploy ${this.deployId} left for another replica: ${stop.message}`);
      return this.rollBackAndFinish(stop);
    }
    // Outside the rollout's try: a refused status write must not roll back a finished rollout.
    await this.finish('succeeded', null);
  }

  private async launch(round: number): Promise<Instance> {
    await this.checkpoint();
    const taken = await this.prisma.backend.findMany({ where: { poolId: this.poolId }, select: { port: true } });
    let inst: Instance;
    try {
      inst = await this.provider.startOne!({ version: this.spec.version }, { avoidPorts: taken.map((b) => b.port) });
    } catch (err) {
      const message = `could not start an instance of version ${this.spec.version}: ${err instanceof Error ? err.message : String(err)}`;
      await this.step({ name: `start round ${round}`, status: 'failed', message });
      throw new StopRun(message, 'failed');
    }
    // Recorded at once: a rollback stops it even when it never joins.
    this.joined.push({ instanceId: inst.id, backendId: null, address: inst.host && inst.port ? backendAddress({ host: inst.host, port: inst.port }) : inst.id, version: this.spec.version });
    const { address } = this.joined.at(-1)!;
    // The instance and its address: a rollback taken over by another replica finds it by them.
    await this.step({ name: `start round ${round}`, status: 'done', message: `started ${address} with version ${this.spec.version}`, data: { instance: inst.id, address } });
    return inst;
  }

  /** Each new instance passes the pool's health check, then joins as a backend; the revision must run on every data plane. */
  private async admit(fresh: Instance[], round: number, pool: ReturnType<typeof toPool>): Promise<void> {
    const results = await Promise.all(
      fresh.map(async (i) => ({
        instance: i,
        ...(i.host && i.port
          ? await waitHealthy({ host: i.host, port: i.port }, pool.healthCheck, pool.protocol, this.spec.healthyTimeoutMs, async () => {
              await this.checkpoint();
              return false;
            })
          : { ok: false, detail: 'the provider gave no address' }),
      })),
    );
    const bad = results.filter((r) => !r.ok);
    const addr = (i: Instance) => (i.host && i.port ? backendAddress({ host: i.host, port: i.port }) : i.id);
    if (bad.length) {
      const message = `version ${this.spec.version} not healthy within ${this.spec.healthyTimeoutMs} ms: ${bad.map((b) => `${addr(b.instance)} (${b.detail})`).join(', ')}`;
      await this.step({ name: `healthy round ${round}`, status: 'failed', message });
      throw new StopRun(message, 'failed');
    }
    await this.step({ name: `healthy round ${round}`, status: 'passed', message: `${fresh.map(addr).join(', ')} pass the pool's health check` });
    for (const i of fresh) {
      const b = await addBackend(
        this.prisma,
        this.actor,
        this.poolId,
        { host: i.host!, port: i.port!, weight: 1, backup: false, maxConnections: 0, adminState: 'active', versionLabel: this.spec.version },
        scalingTag(this.rule.id),
        `deploy ${this.spec.version}: add ${addr(i)}`,
      );
      this.joined.find((m) => m.instanceId === i.id)!.backendId = b.id;
    }
    const applied = await waitRevisionApplied(this.prisma, this.poolId, APPLY_WAIT_MS, () => this.checkpoint());
    if (!applied.ok) {
      await this.step({ name: `join round ${round}`, status: 'failed', message: applied.reason });
      throw new StopRun(applied.reason, 'failed');
    }
    await this.step({ name: `join round ${round}`, status: 'done', message: `${fresh.map(addr).join(', ')} joined the pool`, data: { configVersion: applied.version } });
  }

  /**
   * Drains an old instance's backend, removes it, stops the instance. A stop that fails does not
   * stop the deploy (the instance is out of the pool): an error event names it, and the autoscaler
   * stops it again at every pass, counting it as no capacity meanwhile.
   */
  private async retire(old: Member, why: string): Promise<void> {
    await this.checkpoint();
    if (old.backendId) {
      await patchBackend(this.prisma, this.actor, old.backendId, { adminState: 'draining' }, `deploy ${this.spec.version}: drain ${old.address}`);
      await waitRevisionApplied(this.prisma, this.poolId, APPLY_WAIT_MS, () => this.checkpoint());
      await waitDrained(this.poolId, [old.backendId], this.spec.drainTimeoutMs, () => this.hooks.stopping());
      await removeBackend(this.prisma, this.actor, old.backendId, `deploy ${this.spec.version}: remove ${old.address}`);
    }
    const stopped = await this.stopOutOfPool(old, old.backendId ? 'removed' : 'never joined');
    this.retired.push(old);
    const what = `${old.address}${old.version ? ` (${old.version})` : ''}`;
    await this.step(
      stopped
        ? { name: 'retire', status: 'done', message: `${why}: drained, removed and stopped ${what}`, data: { old } }
        : { name: 'retire', status: 'warning', message: `${why}: drained and removed ${what}; its stop failed and is tried again at every pass`, data: { old } },
    );
  }

  /**
   * Stops an instance that is out of the pool as a scale-down does: one that will not stop is an
   * error event naming it, kept in the rule's pending stops (no capacity, stopped again at every
   * autoscaler pass). Answers whether it stopped; never throws for a failed stop.
   */
  private async stopOutOfPool(m: Member, backend: Retired['backend']): Promise<boolean> {
    const input = { prisma: this.prisma, rule: this.rule, provider: this.provider, unstopped: this.unstopped, log: this.hooks.log };
    return stopRetired(input, 'deploy_step', [{ id: m.instanceId, address: m.address, backend }], remainingAfter(this.provider, 1));
  }

  /**
   * Starts the old version again for every old instance already stopped, then takes the new ones
   * out. What the provider will not start or stop, and what the database will not record, is a
   * warning step, never the end of the rollback: an instance that will not stop goes to the rule's
   * pending stops, as in a retire, and one restored whose backend could not be added is stopped.
   */
  override async rollback(reason: string): Promise<void> {
    const problems: string[] = [];
    const takenOver = !this.provider;
    if (takenOver) await this.load();
    await this.step({ name: 'rollback', status: 'started', message: reason });
    const why = `deploy ${this.spec.version} rolled back`;
    if (takenOver) await this.recall(why, problems);
    let restored = 0;
    for (const old of this.retired) if (await this.restore(old, why)) restored++;
    const inPool = this.joined.filter((n): n is Member & { backendId: string } => !!n.backendId);
    for (const n of inPool) await attempt(problems, `drain ${n.address}`, () => patchBackend(this.prisma, this.actor, n.backendId, { adminState: 'draining' }, `${why}: drain ${n.address}`));
    if (inPool.length) {
      const applied = await waitRevisionApplied(this.prisma, this.poolId, APPLY_WAIT_MS).catch((err) => ({ ok: false as const, reason: errorText(err) }));
      if (!applied.ok) await this.step({ name: 'rollback', status: 'warning', message: `the rollback's drain is not confirmed: ${applied.reason}` });
    }
    // A backend that could not be removed stays behind its stopped instance: recovery replaces it.
    const kept = new Set<string>();
    for (const n of inPool)
      if (!(await attempt(problems, `remove the backend ${n.address}`, () => removeBackend(this.prisma, this.actor, n.backendId, `${why}: remove ${n.address}`)))) kept.add(n.instanceId);
    // Each on its own, so a failure names only the instance that would not stop.
    const stopped = await Promise.all(this.joined.map((n) => this.stopOutOfPool(n, !n.backendId ? 'never joined' : kept.has(n.instanceId) ? 'not removed' : 'removed')));
    const unstopped = this.joined.filter((_, i) => !stopped[i]).map((n) => n.address);
    if (unstopped.length) problems.push(`could not stop ${unstopped.join(', ')}: out of the pool, stopped again at every pass`);
    const summary = `restored ${restored} instance(s) of the old version, stopped ${this.joined.length - unstopped.length} of version ${this.spec.version}`;
    await this.step(
      problems.length ? { name: 'rollback', status: 'warning', message: `${summary}; ${problems.join('; ')}`, data: { unstopped, problems } } : { name: 'rollback', status: 'done', message: summary },
    );
  }

  /**
   * A rollback taken over from a replica that stopped knows only what the deploy recorded and
   * what the pool holds: the new instances are those its start steps name, each in the pool when
   * the rule has a backend at its address. An old instance (its plan names them) whose backend is
   * gone was retired: it is stopped, should it still run, and its version started again; one whose
   * backend was left draining is made active again.
   */
  private async recall(why: string, problems: string[]): Promise<void> {
    const steps = await this.prisma.deployStep.findMany({ where: { deployId: this.deployId, status: 'done' }, orderBy: { seq: 'asc' } });
    const detail = (s: (typeof steps)[number]) => (s.detail ?? {}) as { olds?: Member[]; instance?: string; address?: string };
    const plan = steps.find((s) => s.name === 'plan');
    const olds = (plan && detail(plan).olds) || [];
    const managed = await this.prisma.backend.findMany({ where: { poolId: this.poolId, managedBy: scalingTag(this.rule.id) } });
    this.joined = steps
      .filter((s) => s.name.startsWith('start round') && detail(s).instance)
      .map((s) => {
        const { instance, address = instance } = detail(s) as { instance: string; address?: string };
        return { instanceId: instance, backendId: managed.find((b) => backendAddress(b) === address)?.id ?? null, address, version: this.spec.version };
      });
    for (const old of olds) {
      if (!old.backendId) continue;
      const backend = managed.find((b) => b.id === old.backendId);
      if (!backend) {
        await this.stopOutOfPool(old, 'removed');
        this.retired.push(old);
      } else if (backend.adminState === 'draining') {
        await attempt(problems, `set ${old.address} active again`, () => patchBackend(this.prisma, this.actor, backend.id, { adminState: 'active' }, `${why}: ${old.address} active again`));
      }
    }
  }

  /**
   * One instance of an old version started again, healthy, back in the pool: true. Otherwise a
   * warning step says why and nothing of it is left running outside the pool (it is stopped, or
   * kept in the rule's pending stops when it will not stop); false.
   */
  private async restore(old: Member, why: string): Promise<boolean> {
    const pool = toPool(this.rule.pool);
    const lost = (detail: string, more = '') =>
      this.step({ name: 'rollback', status: 'warning', message: `could not restore an instance of ${old.version ?? 'the old version'} (${detail}); recovery keeps trying${more}` });
    let inst: Instance;
    try {
      const taken = await this.prisma.backend.findMany({ where: { poolId: this.poolId }, select: { port: true } });
      inst = await this.provider.startOne!(old.version ? { version: old.version } : {}, { avoidPorts: taken.map((b) => b.port) });
    } catch (err) {
      await lost(errorText(err));
      return false;
    }
    const address = inst.host && inst.port ? backendAddress({ host: inst.host, port: inst.port }) : inst.id;
    const health = inst.host && inst.port ? await waitHealthy({ host: inst.host, port: inst.port }, pool.healthCheck, pool.protocol, this.spec.healthyTimeoutMs) : { ok: false, detail: 'no address' };
    let failure = health.detail;
    if (health.ok) {
      try {
        await addBackend(
          this.prisma,
          this.actor,
          this.poolId,
          { host: inst.host!, port: inst.port!, weight: 1, backup: false, maxConnections: 0, adminState: 'active', versionLabel: old.version },
          scalingTag(this.rule.id),
          `${why}: restore ${old.version ?? 'old version'}`,
        );
        return true;
      } catch (err) {
        failure = `could not add its backend ${address}: ${errorText(err)}`;
      }
    }
    const stopped = await this.stopOutOfPool({ instanceId: inst.id, backendId: null, address, version: old.version }, 'never joined');
    await lost(failure, stopped ? '' : `; could not stop ${address}, started for it: out of the pool, stopped again at every pass`);
    return false;
  }
}
