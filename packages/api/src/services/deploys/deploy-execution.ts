import type { Backend, PrismaClient } from '@fulcrum/db';
import { type TAdminState, type TDeployStart, type TDeployStatus, ZDeployStart, backendAddress } from '@fulcrum/protocol';
import { errorText } from '../../error-text';
import { toPool } from '../pools/pool-mapper';
import { canaryWeights } from './canary-weights';
import { type StepInput, recordStep } from './deploy-records';
import { addBackend, patchBackend, removeBackend, systemActor, waitRevisionApplied } from './managed-backends';
import { probeBackend, waitHealthy } from './probe-backend';
import { statsOf } from './version-stats';

const HEARTBEAT_MS = 3_000;
const ABORT_CHECK_MS = 300;
const APPLY_WAIT_MS = 15_000;
/**
 * Waits between tries of a deploy's final status write (about 15 s in all): a database that
 * refuses it for a moment (a failover, a dropped connection) must not turn a finished deploy into
 * an internal error, or leave it running for another replica to roll back.
 */
const FINISH_RETRY_MS = [250, 500, 1_000, 2_000, 4_000, 8_000];

interface OldBackend {
  id: string;
  address: string;
  weight: number;
  adminState: TAdminState;
}

/** Ends a run: a failed gate or health wait (roll back), an operator's abort (roll back), or shutdown (leave it for another replica). */
export class StopRun extends Error {
  constructor(
    message: string,
    readonly kind: 'failed' | 'aborted' | 'shutdown',
  ) {
    super(message);
  }
}

export interface ExecutionHooks {
  /** True when this control plane is shutting down. */
  stopping(): boolean;
  log(line: string): void;
}

export const managedTag = (deployId: string) => `deploy:${deployId}`;

/**
 * Carries out one deploy: probe the new backends, add them and shift traffic (canary steps with
 * a health and error-rate gate after each, or blue/green at once then one gate), drain and remove
 * the old version. A failed gate or an abort restores the old backends and removes the new ones.
 */
export class DeployExecution {
  protected spec!: TDeployStart;
  protected poolId!: string;
  private olds: OldBackend[] = [];
  private lastBeat = 0;
  private lastAbortCheck = 0;
  protected readonly actor;

  constructor(
    protected readonly prisma: PrismaClient,
    protected readonly deployId: string,
    protected readonly hooks: ExecutionHooks,
  ) {
    this.actor = systemActor(`deploy ${deployId}`);
  }

  protected step(s: Omit<StepInput, 'deployId' | 'poolId'>): Promise<void> {
    this.hooks.log(`deploy ${this.deployId}: ${s.name} ${s.status}: ${s.message}`);
    return recordStep(this.prisma, { ...s, deployId: this.deployId, poolId: this.poolId });
  }

  protected async news(): Promise<Backend[]> {
    return this.prisma.backend.findMany({ where: { managedBy: managedTag(this.deployId) }, orderBy: { createdAt: 'asc' } });
  }

  /** Heartbeat (so other replicas know the run is alive) and abort check; called often. */
  protected async checkpoint(): Promise<void> {
    if (this.hooks.stopping()) throw new StopRun('the control plane is shutting down', 'shutdown');
    const now = Date.now();
    if (now - this.lastBeat > HEARTBEAT_MS) {
      this.lastBeat = now;
      await this.prisma.deploy.update({ where: { id: this.deployId }, data: { updatedAt: new Date() } });
    }
    if (now - this.lastAbortCheck > ABORT_CHECK_MS) {
      this.lastAbortCheck = now;
      const abort = await this.prisma.deployStep.findFirst({ where: { deployId: this.deployId, name: 'abort' } });
      if (abort) throw new StopRun((abort.detail as { message?: string } | null)?.message ?? 'aborted', 'aborted');
    }
  }

  protected async pause(ms: number): Promise<void> {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      await this.checkpoint();
      await new Promise((r) => setTimeout(r, Math.min(100, Math.max(0, end - Date.now()))));
    }
  }

  /** Writes the deploy's end, trying again while the database refuses (see FINISH_RETRY_MS); throws the last refusal. */
  protected async finish(status: TDeployStatus, error: string | null): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.prisma.deploy.update({ where: { id: this.deployId }, data: { status, error, finishedAt: new Date() } });
        return;
      } catch (err) {
        const wait = FINISH_RETRY_MS[attempt];
        if (wait === undefined) throw err;
        this.hooks.log(`deploy ${this.deployId}: writing its end (${status}) failed, trying again in ${wait} ms: ${errorText(err)}`);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }

  /**
   * A deploy taken over from a replica that stopped: rolled back, unless its last step says it
   * had finished (the `done` step is written just before the status, so a replica that stopped, or
   * whose database refused the status, between the two left a deploy that succeeded: it ends so).
   */
  async takeOver(stop: StopRun): Promise<void> {
    const done = await this.prisma.deployStep.findFirst({ where: { deployId: this.deployId, name: 'done', status: 'done' } });
    if (done) return this.finish('succeeded', null);
    return this.rollBackAndFinish(stop);
  }

  async run(): Promise<void> {
    const d = await this.prisma.deploy.findUniqueOrThrow({ where: { id: this.deployId }, include: { pool: true } });
    this.poolId = d.poolId;
    this.spec = ZDeployStart.parse(d.spec);
    const pool = toPool(d.pool);
    // managedBy may be NULL, which a plain `not` would drop (SQL three-valued logic).
    const rows = await this.prisma.backend.findMany({ where: { poolId: d.poolId, backup: false, adminState: 'active', OR: [{ managedBy: null }, { managedBy: { not: managedTag(this.deployId) } }] } });
    this.olds = rows.map((b) => ({ id: b.id, address: backendAddress(b), weight: b.weight, adminState: b.adminState }));
    await this.step({ name: 'plan', status: 'done', message: `replace ${this.olds.map((o) => o.address).join(', ') || 'nothing'} with version ${this.spec.version}`, data: { olds: this.olds } });

    let pointOfNoReturn = false;
    try {
      await this.waitNewHealthy(pool.healthCheck, pool.protocol);
      if (this.spec.strategy === 'canary') {
        for (const percent of [...new Set(this.spec.steps)].sort((a, b) => a - b)) {
          await this.shift(percent);
          await this.gate(`${percent}%`, pool.healthCheck, pool.protocol);
        }
      } else {
        await this.shift(100);
        await this.gate('switch', pool.healthCheck, pool.protocol);
      }
      pointOfNoReturn = true;
      await this.drainAndRemoveOld();
      // The last step before the status: whoever sees `succeeded` sees every step.
      await this.step({ name: 'done', status: 'done', message: `version ${this.spec.version} serves all traffic` });
    } catch (err) {
      const stop = err instanceof StopRun ? err : new StopRun(err instanceof Error ? err.message : String(err), 'failed');
      if (stop.kind === 'shutdown') return this.hooks.log(`deploy ${this.deployId} left for another replica: ${stop.message}`);
      if (pointOfNoReturn) {
        await this.step({ name: 'cleanup', status: 'failed', message: stop.message });
        return this.finish('failed', `new version serves all traffic, but cleanup failed: ${stop.message}`);
      }
      return this.rollBackAndFinish(stop);
    }
    // Outside the rollout's try: the deploy is done, and a refused status write is no cleanup failure
    // (if every try is refused, the replica that takes the deploy over finds the done step).
    await this.finish('succeeded', null);
  }

  /**
   * Rolls back and ends the deploy rolled_back (aborted after an operator's abort). A rollback that
   * cannot go on (a write the database refuses, a provider that cannot be reached) ends it failed,
   * with a step and the error naming what failed: never an internal error, never left running.
   */
  async rollBackAndFinish(stop: StopRun): Promise<void> {
    try {
      await this.rollback(stop.message);
    } catch (err) {
      const reason = errorText(err);
      this.hooks.log(`deploy ${this.deployId}: the rollback failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      // The step may be what the database refuses: the deploy's end is written all the same.
      await this.step({ name: 'rollback', status: 'failed', message: `could not finish: ${reason}` }).catch(() => {});
      return this.finish('failed', `${stop.message}; the rollback could not finish: ${reason}`);
    }
    await this.finish(stop.kind === 'aborted' ? 'aborted' : 'rolled_back', stop.message);
  }

  private async waitNewHealthy(check: ReturnType<typeof toPool>['healthCheck'], protocol: ReturnType<typeof toPool>['protocol']): Promise<void> {
    const results = await Promise.all(
      this.spec.backends.map(async (b) => ({
        address: backendAddress(b),
        ...(await waitHealthy(b, check, protocol, this.spec.healthyTimeoutMs, async () => {
          await this.checkpoint();
          return false;
        })),
      })),
    );
    const bad = results.filter((r) => !r.ok);
    if (bad.length) {
      const message = `new backends not healthy within ${this.spec.healthyTimeoutMs} ms: ${bad.map((b) => `${b.address} (${b.detail})`).join(', ')}`;
      await this.step({ name: 'healthy', status: 'failed', message, data: { results } });
      throw new StopRun(message, 'failed');
    }
    await this.checkpoint();
    await this.step({ name: 'healthy', status: 'passed', message: `${results.map((r) => r.address).join(', ')} pass the pool's health check`, data: { results } });
  }

  /** Moves the new version to `percent` of the traffic; 100 drains the old version. */
  private async shift(percent: number): Promise<void> {
    const reason = `deploy ${this.spec.version}: ${this.spec.strategy === 'canary' ? `canary ${percent}%` : 'blue/green switch'}`;
    let news = await this.news();
    const newCfg = this.spec.backends.map((b, i) => ({ id: `new-${i}`, weight: b.weight }));
    const weights = canaryWeights(this.olds, newCfg, percent);
    const canary = this.spec.strategy === 'canary' && percent < 100;
    if (!news.length) {
      // Old weights first (same proportions, no effect), so the new backends arrive at their share.
      if (canary) for (const o of this.olds) await patchBackend(this.prisma, this.actor, o.id, { weight: weights.get(o.id)! }, reason);
      for (const [i, b] of this.spec.backends.entries()) {
        const weight = canary || this.spec.strategy === 'canary' ? weights.get(`new-${i}`)! : b.weight;
        await addBackend(
          this.prisma,
          this.actor,
          this.poolId,
          { host: b.host, port: b.port, weight, backup: false, maxConnections: 0, adminState: 'active', versionLabel: this.spec.version },
          managedTag(this.deployId),
          reason,
        );
        await this.checkpoint();
      }
      news = await this.news();
    } else if (canary) {
      // Rising share: the new version up first, then the old down, so no moment overshoots the step.
      for (const [i, n] of news.entries()) await patchBackend(this.prisma, this.actor, n.id, { weight: weights.get(`new-${i}`)! }, reason);
      for (const o of this.olds) await patchBackend(this.prisma, this.actor, o.id, { weight: weights.get(o.id)! }, reason);
    }
    if (percent >= 100) for (const o of this.olds) await patchBackend(this.prisma, this.actor, o.id, { adminState: 'draining' }, `${reason}: drain ${o.address}`);
    await this.checkpoint();
    // Traffic moves only where the revision runs: a refused or unconfirmed one stops the deploy
    // (and rolls back) before any old backend is drained away from a data plane still using it.
    const applied = await waitRevisionApplied(this.prisma, this.poolId, APPLY_WAIT_MS, () => this.checkpoint());
    const shown = percent >= 100 ? 'all new traffic' : `${percent}% of traffic`;
    const name = this.spec.strategy === 'canary' ? `shift ${percent}%` : 'switch';
    const data = { percent, weights: Object.fromEntries(news.map((n, i) => [backendAddress(n), weights.get(`new-${i}`)])) };
    if (!applied.ok) {
      await this.step({ name, status: 'failed', message: `version ${this.spec.version} was to get ${shown}, but ${applied.reason}`, data: { ...data, refused: applied.refused } });
      throw new StopRun(applied.reason, 'failed');
    }
    await this.step({ name, status: 'done', message: `version ${this.spec.version} gets ${shown}`, data: { ...data, configVersion: applied.version } });
  }

  /**
   * Holds for the step pause (and then until the new backends have answered minRequests, for at
   * most trafficTimeoutMs), then checks the new version: health (probes and data planes) and the
   * error rate of its real upstream attempts, as every data plane reports them to any replica.
   * Without traffic the gate fails: health probes alone do not say a version serves.
   */
  protected async gate(label: string, check: ReturnType<typeof toPool>['healthCheck'], protocol: ReturnType<typeof toPool>['protocol']): Promise<void> {
    const started = Date.now();
    await this.pause(this.spec.stepPauseMs);
    const news = await this.news();
    const ids = news.map((n) => n.id);
    const since = () => (Date.now() - started) / 1000;
    let stats = statsOf(this.poolId, ids, since());
    const trafficDeadline = Date.now() + this.spec.trafficTimeoutMs;
    while (stats.requests < this.spec.minRequests && Date.now() < trafficDeadline) {
      await this.pause(Math.min(500, trafficDeadline - Date.now()));
      stats = statsOf(this.poolId, ids, since());
    }
    const probes = await Promise.all(
      news.map(async (n) => {
        let last = { ok: false, detail: 'not probed' };
        for (let i = 0; i < check.fall && !last.ok; i++) last = await probeBackend(n, check, protocol);
        return { address: backendAddress(n), ...last };
      }),
    );
    const problems: string[] = [];
    const failing = probes.filter((p) => !p.ok);
    if (failing.length) problems.push(`health check fails on ${failing.map((p) => `${p.address} (${p.detail})`).join(', ')}`);
    if (stats.unhealthy.length) problems.push(`data planes report ${stats.unhealthy.length} new backend(s) unhealthy or ejected`);
    if (stats.errorRate > this.spec.maxErrorRate)
      problems.push(`error rate ${(stats.errorRate * 100).toFixed(1)}% (${stats.failures} of ${stats.requests}) is above ${(this.spec.maxErrorRate * 100).toFixed(1)}%`);
    if (stats.requests < this.spec.minRequests) {
      problems.push(
        `no traffic to judge: version ${this.spec.version} answered ${stats.requests} of the ${this.spec.minRequests} request(s) a gate needs in ${Math.round(since())} s` +
          `${stats.observed ? '' : ' (no data plane reports stats for it)'}; send traffic, or set minRequests 0 to gate on health checks alone`,
      );
    }
    const data = {
      requests: stats.requests,
      failures: stats.failures,
      errorRate: stats.errorRate,
      maxErrorRate: this.spec.maxErrorRate,
      minRequests: this.spec.minRequests,
      observed: stats.observed,
      probes,
    };
    if (problems.length) {
      const message = problems.join('; ');
      await this.step({ name: `gate ${label}`, status: 'failed', message, data });
      throw new StopRun(`gate ${label} failed: ${message}`, 'failed');
    }
    await this.step({
      name: `gate ${label}`,
      status: 'passed',
      message: stats.requests > 0 ? `${stats.requests} requests, error rate ${(stats.errorRate * 100).toFixed(1)}%` : 'health checks pass; no traffic reached the new version (minRequests 0)',
      data,
    });
  }

  private async drainAndRemoveOld(): Promise<void> {
    const timeout = this.spec.drainTimeoutMs;
    const started = Date.now();
    // Done early when the old backends have had nothing in flight for two seconds.
    while (Date.now() - started < timeout) {
      await this.pause(Math.min(500, timeout - (Date.now() - started)));
      const old = statsOf(
        this.poolId,
        this.olds.map((o) => o.id),
        2,
      );
      if (Date.now() - started >= 2000 && old.observed && old.requests === 0 && old.activeConnections === 0) break;
    }
    await this.step({ name: 'drain', status: 'done', message: `drained ${this.olds.map((o) => o.address).join(', ') || 'nothing'} for ${Date.now() - started} ms` });
    for (const o of this.olds) await removeBackend(this.prisma, this.actor, o.id, `deploy ${this.spec.version}: remove ${o.address}`);
    if (this.spec.strategy === 'canary') {
      const news = await this.news();
      for (const [i, n] of news.entries()) await patchBackend(this.prisma, this.actor, n.id, { weight: this.spec.backends[i]?.weight ?? 1 }, `deploy ${this.spec.version}: restore weights`);
    }
    await this.step({ name: 'remove old', status: 'done', message: `removed ${this.olds.length} backend(s) of the old version` });
  }

  /** Puts the old backends back as they were and takes the new ones out. */
  async rollback(reason: string): Promise<void> {
    if (!this.poolId) {
      const d = await this.prisma.deploy.findUniqueOrThrow({ where: { id: this.deployId } });
      this.poolId = d.poolId;
      this.spec = ZDeployStart.parse(d.spec);
    }
    if (!this.olds.length) {
      const plan = await this.prisma.deployStep.findFirst({ where: { deployId: this.deployId, name: 'plan' } });
      this.olds = ((plan?.detail as { olds?: OldBackend[] } | null)?.olds ?? []) as OldBackend[];
    }
    await this.step({ name: 'rollback', status: 'started', message: reason });
    const why = `deploy ${this.spec.version} rolled back`;
    for (const o of this.olds) await patchBackend(this.prisma, this.actor, o.id, { weight: o.weight, adminState: o.adminState }, `${why}: restore ${o.address}`);
    const news = await this.news();
    for (const n of news) await patchBackend(this.prisma, this.actor, n.id, { adminState: 'draining' }, `${why}: drain ${backendAddress(n)}`);
    if (news.length) {
      const applied = await waitRevisionApplied(this.prisma, this.poolId, APPLY_WAIT_MS);
      if (!applied.ok) await this.step({ name: 'rollback', status: 'warning', message: `the rollback's drain is not confirmed: ${applied.reason}` });
      await new Promise((r) => setTimeout(r, 1000));
    }
    for (const n of news) await removeBackend(this.prisma, this.actor, n.id, `${why}: remove ${backendAddress(n)}`);
    await this.step({ name: 'rollback', status: 'done', message: `restored ${this.olds.length} old backend(s), removed ${news.length} new one(s)` });
  }
}
