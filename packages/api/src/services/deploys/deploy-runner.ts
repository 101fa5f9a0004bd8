import type { PrismaClient } from '@fulcrum/db';
import { DeployExecution, StopRun } from './deploy-execution';
import { RollingExecution } from './rolling-execution';

export interface DeployRunnerOptions {
  tickMs?: number;
  /** A running deploy whose heartbeat is older than this has lost its replica. */
  staleMs?: number;
  log?: (line: string) => void;
}

/**
 * Runs deploys in the background of a control-plane process. Any replica may claim a pending
 * deploy (an atomic status change, so only one does); a running deploy whose replica stopped
 * heart-beating is taken over and rolled back, since half a rollout is worse than none.
 */
export class DeployRunner {
  private timer: NodeJS.Timeout | undefined;
  private readonly active = new Map<string, Promise<void>>();
  private stopping = false;
  private ticking = false;
  private readonly tickMs: number;
  private readonly staleMs: number;
  private readonly log: (line: string) => void;

  constructor(
    private readonly prisma: PrismaClient,
    opts: DeployRunnerOptions = {},
  ) {
    this.tickMs = opts.tickMs ?? 1000;
    this.staleMs = opts.staleMs ?? 30_000;
    this.log = opts.log ?? (() => {});
  }

  start(): void {
    this.timer = setInterval(() => this.poke(), this.tickMs);
    this.timer.unref();
    this.poke();
  }

  /** Stops taking work and lets running deploys reach their next checkpoint (another replica resumes them). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    await Promise.allSettled(this.active.values());
  }

  poke(): void {
    if (this.ticking || this.stopping) return;
    this.ticking = true;
    this.tick()
      .catch((err) => this.log(`deploy runner: ${err instanceof Error ? err.message : String(err)}`))
      .finally(() => (this.ticking = false));
  }

  private launch(id: string, work: (e: DeployExecution) => Promise<void>): void {
    const hooks = { stopping: () => this.stopping, log: this.log };
    const run = this.prisma.deploy
      .findUniqueOrThrow({ where: { id }, select: { strategy: true } })
      // A rolling deploy starts and stops instances through the pool's provider; the others shift traffic between backends CI started.
      .then(({ strategy }) => work(strategy === 'rolling' ? new RollingExecution(this.prisma, id, hooks) : new DeployExecution(this.prisma, id, hooks)))
      .catch(async (err) => {
        this.log(`deploy ${id} crashed: ${err instanceof Error ? err.stack : String(err)}`);
        await this.prisma.deploy
          .update({ where: { id }, data: { status: 'failed', error: `internal error: ${err instanceof Error ? err.message : String(err)}`, finishedAt: new Date() } })
          .catch(() => {});
      })
      .finally(() => this.active.delete(id));
    this.active.set(id, run);
  }

  private async tick(): Promise<void> {
    const pending = await this.prisma.deploy.findMany({ where: { status: 'pending' }, orderBy: { createdAt: 'asc' }, select: { id: true } });
    for (const { id } of pending) {
      if (this.active.has(id) || this.stopping) continue;
      const claimed = await this.prisma.deploy.updateMany({ where: { id, status: 'pending' }, data: { status: 'running' } });
      if (claimed.count === 1) this.launch(id, (e) => e.run());
    }
    const stale = await this.prisma.deploy.findMany({ where: { status: 'running', updatedAt: { lt: new Date(Date.now() - this.staleMs) } }, select: { id: true, updatedAt: true } });
    for (const d of stale) {
      if (this.active.has(d.id) || this.stopping) continue;
      const claimed = await this.prisma.deploy.updateMany({ where: { id: d.id, status: 'running', updatedAt: d.updatedAt }, data: { updatedAt: new Date() } });
      if (claimed.count !== 1) continue;
      this.launch(d.id, (e) => e.takeOver(new StopRun('the control plane running this deploy stopped; rolled back', 'failed')));
    }
  }
}

// One runner per process, shared by Next's bundle and the custom server (separate module copies).
const store = globalThis as unknown as { __fulcrumDeployRunner?: DeployRunner };

export function setDeployRunner(runner: DeployRunner | undefined): void {
  store.__fulcrumDeployRunner = runner;
}

export function getDeployRunner(): DeployRunner | undefined {
  return store.__fulcrumDeployRunner;
}
