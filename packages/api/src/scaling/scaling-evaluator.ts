import type { Backend, Pool, PrismaClient, ProviderProfile, ScalingRule } from '@fulcrum/db';
import { type TScalingRuleSettings, type TScalingRuleState, ZScalingRuleSettings, ZScalingRuleState, backendAddress, checkProfileParams } from '@fulcrum/protocol';
import { errorText } from '../error-text';
import { retireDeletedPool } from './deleted-pool';
import { getHub } from '../hub/dataplane-hub';
import { recordEvent } from '../services/events/events';
import { profileSpec } from '../services/provider-profiles/provider-profiles';
import { patchBackend, removeBackend, systemActor, waitDataplanesApplied } from '../services/deploys/managed-backends';
import { type FailingSince, recoverInstances } from './instance-recovery';
import { scalingTag } from './new-instance';
import { type Instance, type ScalingProvider, createProvider } from './providers';
import { labelledRulesGoneWhileDown } from './labelled-rules';
import { databaseIdentity, rulesGoneWhileDown } from './recorded-rules';
import { type Retired, type Unstopped, retryUnstopped, stopRetired } from './retired-instances';
import { RuleLocks } from './rule-locks';
import { scaleUp } from './scale-up';
import { decide, metricValue } from './scaling-metric';
import { waitDrained } from './wait-drained';

export { scalingTag };

/** Complete seconds of stats the metric is read over at each tick (the window is held across ticks). */
const METRIC_SECONDS = 2;

export interface ScalingEvaluatorOptions {
  databaseUrl: string;
  tickMs?: number;
  log?: (line: string) => void;
}

interface RuleRuntime {
  provider: ScalingProvider;
  /** What the provider was built from: the profile (at its version) and the rule's parameter values. */
  providerKey: string;
  busy: boolean;
  /** Instances failing their health check, and since when (recovery replaces them after a while). */
  failing: FailingSince;
  /** Instances whose backend was removed and whose stop failed: stopped again every pass. */
  unstopped: Unstopped;
  /** The rule's pool and names as last read: what is left of the rule once its pool is deleted. */
  poolId: string;
  poolName: string;
  ruleName: string;
  /** Why stopping a deleted pool's instances failed last (recorded once, tried again every pass). */
  retireFailure?: string;
}

type LiveRule = ScalingRule & { pool: Pool; profile: ProviderProfile | null };

/** What a rolling deploy drives a rule's instances through: the rule's provider, and its instances whose stop failed (stopped again at every pass). */
export type RuleDriver = Pick<RuleRuntime, 'provider' | 'unstopped'>;

/**
 * Evaluates every enabled scaling rule once a tick on the replica holding the rule's advisory
 * lock. New instances are probed with the pool's health check before they join as backends;
 * instances to remove are drained first. Every action is an Event with the metric behind it.
 */
export class ScalingEvaluator {
  private timer: NodeJS.Timeout | undefined;
  private readonly locks: RuleLocks;
  private readonly runtimes = new Map<string, RuleRuntime>();
  private readonly tickMs: number;
  private readonly log: (line: string) => void;
  private ticking = false;
  private stopping = false;
  /** Settles once this process knows its database and has taken in the rules gone while it was down (see prepare). */
  private prepared: Promise<void> | undefined;
  /** The database's identity, written with the records of the instances providers start. */
  private database = '';

  constructor(
    private readonly prisma: PrismaClient,
    opts: ScalingEvaluatorOptions,
  ) {
    this.locks = new RuleLocks(opts.databaseUrl);
    this.tickMs = opts.tickMs ?? 1000;
    this.log = opts.log ?? (() => {});
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.tickMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    for (let i = 0; i < 300 && [...this.runtimes.values()].some((r) => r.busy); i++) await new Promise((r) => setTimeout(r, 100));
    await Promise.all([...this.runtimes.values()].map((r) => r.provider.close?.()));
    await this.locks.close();
  }

  /** Every provider this process drives, its rule's included when the rule is gone (tests stop what they started). */
  providers(): ScalingProvider[] {
    return [...this.runtimes.values()].map((r) => r.provider);
  }

  /** The provider a rule drives in this process (tests reach the process provider through it). */
  providerOf(ruleId: string): ScalingProvider | undefined {
    return this.runtimes.get(ruleId)?.provider;
  }

  /** The provider a rule drives and its instances whose stop failed, built here when no tick has built them yet (a rolling deploy starts and stops instances through them). */
  async runtimeFor(ruleId: string): Promise<RuleDriver | undefined> {
    await this.prepare();
    const rule = await this.prisma.scalingRule.findUnique({ where: { id: ruleId }, include: { pool: true, profile: true } });
    if (!rule) return undefined;
    const { provider, unstopped } = this.runtime(rule);
    return { provider, unstopped };
  }

  async tick(): Promise<void> {
    if (this.ticking || this.stopping) return;
    this.ticking = true;
    try {
      await this.prepare();
      // Only rules that drive an admin's profile ever run; a rule from before profiles has none.
      const rules = await this.prisma.scalingRule.findMany({ where: { enabled: true, profileId: { not: null } }, include: { pool: true, profile: true } });
      const live = new Set(rules.map((r) => r.id));
      for (const id of this.locks.heldIds()) if (!live.has(id)) await this.locks.release(id);
      await this.retireDeletedPools(live);
      for (const rule of rules) {
        let rt: RuleRuntime;
        try {
          rt = this.runtime(rule);
        } catch (err) {
          this.log(`scaling rule ${rule.name}: ${err instanceof Error ? err.message : String(err)}`);
          continue;
        }
        if (rt.busy || !(await this.locks.acquire(rule.id))) continue;
        rt.busy = true;
        void this.evaluate(rule, rt)
          .catch((err) => this.log(`scaling rule ${rule.name}: ${err instanceof Error ? err.message : String(err)}`))
          .finally(() => (rt.busy = false));
      }
      this.retryPendingStops();
    } catch (err) {
      this.log(`scaling evaluator: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.ticking = false;
    }
  }

  /**
   * Once per process, before any provider is built: the database's identity, and the rules whose
   * instances are recorded on disk or labelled at a Docker Engine but which went while no control
   * plane ran here, taken in as rules this process drove and then lost. So a pass stops their
   * instances when the pool went too, as it does when both go while it runs, and leaves them
   * serving a pool that is still there.
   * A failure is tried again at the next tick.
   */
  private prepare(): Promise<void> {
    this.prepared ??= (async () => {
      const database = await databaseIdentity(this.prisma);
      const gone = [...(await rulesGoneWhileDown(this.prisma, database, this.log)), ...(await labelledRulesGoneWhileDown(this.prisma, database, this.log))];
      for (const { owner, provider } of gone) {
        if (this.runtimes.has(owner.ruleId)) continue;
        this.runtimes.set(owner.ruleId, {
          provider,
          providerKey: 'records',
          busy: false,
          failing: new Map(),
          unstopped: new Map(),
          poolId: owner.poolId,
          poolName: owner.pool,
          ruleName: owner.rule,
        });
      }
      this.database = database;
    })().catch((err) => {
      this.prepared = undefined;
      throw err;
    });
    return this.prepared;
  }

  private runtime(rule: LiveRule): RuleRuntime {
    const profile = rule.profile;
    if (!profile) throw new Error('has no provider profile');
    const key = JSON.stringify([profile.id, profile.version, rule.params]);
    const existing = this.runtimes.get(rule.id);
    if (existing && existing.providerKey === key) {
      if (existing.poolName !== rule.pool.name || existing.ruleName !== rule.name) existing.provider.renamed?.({ pool: rule.pool.name, rule: rule.name });
      return Object.assign(existing, { poolId: rule.poolId, poolName: rule.pool.name, ruleName: rule.name });
    }
    const spec = profileSpec(profile);
    // Checked again here: the profile may have changed since the rule was saved.
    const { values, errors } = checkProfileParams(spec.parameters, (rule.params ?? {}) as Record<string, string>);
    const first = Object.entries(errors)[0];
    if (first) throw new Error(`${first[0]}: ${first[1][0]}`);
    const provider = createProvider({ spec, secret: profile.secret, params: values }, { pool: rule.pool.name, rule: rule.name, ruleId: rule.id, poolId: rule.poolId, database: this.database }, (l) =>
      this.log(`[${rule.pool.name}/${rule.name}] ${l}`),
    );
    const rt: RuleRuntime = {
      provider,
      providerKey: key,
      busy: existing?.busy ?? false,
      failing: existing?.failing ?? new Map(),
      unstopped: existing?.unstopped ?? new Map(),
      poolId: rule.poolId,
      poolName: rule.pool.name,
      ruleName: rule.name,
    };
    this.runtimes.set(rule.id, rt);
    return rt;
  }

  /**
   * Rules this process drove (or found recorded at its start) that are gone with their pool: their
   * instances serve nobody, so they are stopped and the rule forgotten (a rule deleted or disabled
   * on its own leaves its instances serving the pool). A stop that fails keeps the rule for the next pass.
   */
  private async retireDeletedPools(live: Set<string>): Promise<void> {
    const gone = [...this.runtimes].filter(([id, rt]) => !live.has(id) && !rt.busy);
    if (!gone.length) return;
    const pools = await this.prisma.pool.findMany({ where: { id: { in: gone.map(([, rt]) => rt.poolId) } }, select: { id: true } });
    const existing = new Set(pools.map((p) => p.id));
    for (const [id, rt] of gone) {
      if (existing.has(rt.poolId)) continue;
      rt.busy = true;
      void retireDeletedPool({
        prisma: this.prisma,
        provider: rt.provider,
        pool: rt.poolName,
        rule: rt.ruleName,
        reported: rt.retireFailure,
        log: (l) => this.log(`[${rt.poolName}/${rt.ruleName}] ${l}`),
      })
        .then(async (outcome) => {
          if (!outcome.done) {
            rt.retireFailure = outcome.reason;
            return;
          }
          this.runtimes.delete(id);
          await rt.provider.close?.();
        })
        .catch((err) => this.log(`deleted pool ${rt.poolName}: ${errorText(err)}`))
        .finally(() => (rt.busy = false));
    }
  }

  /**
   * Instances whose stop failed, of rules no pass of this process evaluates now (disabled, deleted
   * on their own, or evaluated by another replica): stopped again all the same, since only this
   * process knows of them. Disabling a rule ends its decisions, not the cleanup of what it retired.
   */
  private retryPendingStops(): void {
    for (const rt of this.runtimes.values()) {
      if (rt.busy || !rt.unstopped.size) continue;
      rt.busy = true;
      const log = (l: string) => this.log(`[${rt.poolName}/${rt.ruleName}] ${l}`);
      void retryUnstopped({ prisma: this.prisma, rule: { name: rt.ruleName, poolId: rt.poolId }, provider: rt.provider, unstopped: rt.unstopped, log })
        .catch((err) => log(`stopping again what failed to stop: ${errorText(err)}`))
        .finally(() => (rt.busy = false));
    }
  }

  private async evaluate(rule: LiveRule, rt: RuleRuntime): Promise<void> {
    const config: TScalingRuleSettings = ZScalingRuleSettings.parse(rule.config);
    const log = (l: string) => this.log(`[${rule.pool.name}/${rule.name}] ${l}`);
    await retryUnstopped({ prisma: this.prisma, rule, provider: rt.provider, unstopped: rt.unstopped, log });
    const deploying = await this.prisma.deploy.count({ where: { poolId: rule.poolId, status: { in: ['pending', 'running'] } } });
    if (deploying) return;
    const state: TScalingRuleState = ZScalingRuleState.parse(rule.state ?? {});
    // Broken instances are replaced before anything is counted: a dead one is no capacity.
    const recovery = await recoverInstances({
      prisma: this.prisma,
      rule,
      settings: config,
      provider: rt.provider,
      failing: rt.failing,
      unstopped: rt.unstopped,
      stopping: () => this.stopping,
      log,
    });
    if (recovery.acted) {
      await this.prisma.scalingRule.update({
        where: { id: rule.id },
        data: { state: { ...state, instances: (await rt.provider.list()).length, healthy: recovery.healthy, lastDecision: 'replaced broken instances' } },
      });
      return;
    }
    // One whose stop failed serves nobody: it is no capacity.
    const instances = (await rt.provider.list()).filter((i) => !rt.unstopped.has(i.id));
    // An instance recovery found running a moment ago and gone now exited meanwhile: its backend is
    // still in the pool and recovery's next pass replaces it. Counted as missing here too, it would
    // be started twice over (and a scale-up may take the dead backend's port, hiding the exit).
    if (recovery.seen?.some((id) => !instances.some((i) => i.id === id))) {
      this.log(`[${rule.pool.name}/${rule.name}] an instance exited during recovery's pass: no scaling decision until recovery has replaced it`);
      await this.prisma.scalingRule.update({
        where: { id: rule.id },
        data: { state: { ...state, instances: instances.length, healthy: recovery.healthy, lastDecision: 'an instance exited; recovery replaces it first' } },
      });
      return;
    }
    const value = await this.metric(rule.poolId, config, rt.provider);
    const now = Date.now();
    const { decision, breach } = decide({ value, now, current: instances.length, breach: state.breach, lastActionAt: rule.lastActionAt?.getTime() ?? null, rule: config });
    const next: TScalingRuleState = { breach, lastValue: value, instances: instances.length, lastDecision: decision.reason, healthy: recovery.healthy };
    if (decision.action === 'hold') {
      await this.prisma.scalingRule.update({ where: { id: rule.id }, data: { state: next } });
      return;
    }
    const data = {
      rule: rule.name,
      metric: config.metric,
      value,
      scaleUpThreshold: config.scaleUpThreshold,
      scaleDownThreshold: config.scaleDownThreshold,
      windowMs: config.windowMs,
      from: instances.length,
      to: decision.to,
    };
    const message = `scale ${decision.action} ${rule.pool.name} from ${instances.length} to ${decision.to} instance(s): ${config.metric} ${decision.reason}`;
    this.log(message);
    await recordEvent(this.prisma, { kind: 'scaling', poolId: rule.poolId, message, data });
    await this.prisma.scalingRule.update({ where: { id: rule.id }, data: { state: { ...next, instances: decision.to }, lastActionAt: new Date() } });
    try {
      if (decision.action === 'up')
        await scaleUp({
          prisma: this.prisma,
          rule,
          provider: rt.provider,
          before: instances,
          unstopped: rt.unstopped,
          to: decision.to,
          data,
          stopping: () => this.stopping,
          log,
        });
      else await this.scaleDown(rule, rt, instances, decision, log);
    } catch (err) {
      const why = errorText(err);
      await recordEvent(this.prisma, {
        kind: 'scaling',
        severity: 'error',
        poolId: rule.poolId,
        message: `scaling ${rule.pool.name} ${decision.action} failed: ${why}`,
        data: { ...data, error: why },
      });
    }
  }

  /** The rule's metric now: CPU from the provider, everything else from the data planes' stats. */
  private async metric(poolId: string, config: TScalingRuleSettings, provider: ScalingProvider): Promise<number | null> {
    if (config.metric === 'cpu_percent') return provider.cpuPercent ? provider.cpuPercent() : null;
    const inService = await this.prisma.backend.findMany({ where: { poolId, adminState: 'active' }, select: { id: true } });
    const current = Math.floor(Date.now() / 1000) * 1000;
    const seconds = (getHub()?.stats.recent(poolId, METRIC_SECONDS + 1) ?? []).filter((s) => s.ts < current).slice(-METRIC_SECONDS);
    return metricValue(
      config.metric,
      seconds,
      inService.map((b) => b.id),
    );
  }

  private async scaleDown(rule: ScalingRule & { pool: Pool }, rt: RuleRuntime, before: Instance[], decision: { to: number }, log: (line: string) => void): Promise<void> {
    const actor = systemActor(`autoscaler ${rule.name}`);
    const count = before.length - decision.to;
    const managed = await this.prisma.backend.findMany({ where: { poolId: rule.poolId, managedBy: scalingTag(rule.id) }, orderBy: { createdAt: 'desc' } });
    const byAddress = new Map(managed.map((b) => [backendAddress(b), b]));
    // Newest first, like the providers do; instances without an address (Kubernetes, webhook) have no backend to drain.
    const victims = [...before].reverse().slice(0, count);
    const drained: Backend[] = [];
    for (const v of victims) {
      const b = v.host && v.port ? byAddress.get(backendAddress({ host: v.host, port: v.port })) : undefined;
      if (!b) continue;
      await patchBackend(this.prisma, actor, b.id, { adminState: 'draining' }, `autoscaler ${rule.name}: drain ${backendAddress(b)}`);
      drained.push(b);
    }
    if (drained.length) {
      await waitDataplanesApplied(this.prisma, 15_000);
      await waitDrained(
        rule.poolId,
        drained.map((b) => b.id),
        rule.pool.drainTimeoutMs,
        () => this.stopping,
      );
      for (const b of drained) await removeBackend(this.prisma, actor, b.id, `autoscaler ${rule.name}: remove ${backendAddress(b)} (drained)`);
      await waitDataplanesApplied(this.prisma, 15_000);
    }
    const hadBackend = new Set(drained.map((b) => backendAddress(b)));
    const retired: Retired[] = victims.map((v) => {
      const address = v.host && v.port ? backendAddress({ host: v.host, port: v.port }) : v.id;
      return { id: v.id, address, backend: hadBackend.has(address) ? 'removed' : 'never joined' };
    });
    await stopRetired({ prisma: this.prisma, rule, provider: rt.provider, unstopped: rt.unstopped, log }, 'scaling', retired, decision.to);
  }
}

// One evaluator per process, whichever module copy started it.
const store = globalThis as unknown as { __fulcrumScaling?: ScalingEvaluator };

export function setScalingEvaluator(e: ScalingEvaluator | undefined): void {
  store.__fulcrumScaling = e;
}

export function getScalingEvaluator(): ScalingEvaluator | undefined {
  return store.__fulcrumScaling;
}
