import type { Pool, PrismaClient, ScalingRule } from '@fulcrum/db';
import { errorText } from '../error-text';
import { waitHealthy } from '../services/deploys/probe-backend';
import { recordEvent } from '../services/events/events';
import { toPool } from '../services/pools/pool-mapper';
import { type NewInstance, attempt, joinPool, newInstance, removeAdded } from './new-instance';
import { type Instance, type ScalingProvider, startUpTo, stopExactly } from './providers';
import type { Unstopped } from './retired-instances';

const HEALTHY_TIMEOUT_MS = 30_000;

export interface ScaleUpInput {
  prisma: PrismaClient;
  rule: ScalingRule & { pool: Pool };
  provider: ScalingProvider;
  /** The instances the decision counted. */
  before: Instance[];
  /** The rule's instances whose stop failed: not counted, and not new either. */
  unstopped: Unstopped;
  /** The count it wants. */
  to: number;
  /** The decision's event data; a failure's event repeats it. */
  data: Record<string, string | number | null>;
  stopping: () => boolean;
  log: (line: string) => void;
}

/** A step that threw: the start (instances may have started before it), or one new instance's health wait or join. */
interface Failure {
  step: 'started' | 'healthy' | 'joined';
  fresh: NewInstance | null;
  err: unknown;
}

/** What the scale-up was doing when it failed. */
function doing({ step, fresh }: Failure): string {
  if (step === 'started' || !fresh) return 'starting its instances';
  return step === 'healthy' ? `waiting for ${fresh.address} to pass the health check` : `adding ${fresh.address} to the pool`;
}

/**
 * Starts the missing instances; each that passes the pool's health check joins as a backend, one
 * that does not is stopped. A step that throws leaves nothing running outside the pool: after a
 * failed start, the instances that did start join as usual (capacity now, and a start that keeps
 * failing for the last one does not undo the others every pass); after a failed join, that
 * instance and those not joined yet are stopped, a backend added for them removed. Each failure is
 * a `failed` scaling event with its step and reason; a later pass starts what is still missing.
 */
export async function scaleUp(input: ScaleUpInput): Promise<void> {
  const { prisma, rule, provider, before } = input;
  const pool = toPool(rule.pool);
  const actor = `autoscaler ${rule.name}`;
  const failures: Failure[] = [];
  // One whose stop failed is listed too: taken for a new one, it would be probed and joined to the pool again.
  const known = new Set([...before.map((i) => i.id), ...input.unstopped.keys()]);
  // A new instance never takes the address of a backend the pool has (a dead instance's stays until recovery removes it).
  const taken = await prisma.backend.findMany({ where: { poolId: rule.poolId }, select: { port: true } });
  let after: Instance[];
  try {
    after = await startUpTo(provider, before.length, input.to, { avoidPorts: taken.map((b) => b.port) });
  } catch (err) {
    failures.push({ step: 'started', fresh: null, err });
    after = await provider.list();
  }
  const fresh = after.filter((i) => !known.has(i.id)).flatMap((i) => newInstance(i) ?? []);
  const joined: NewInstance[] = [];
  const back: NewInstance[] = [];
  for (const f of fresh) {
    // After a failed health wait or join the rest is taken back too: the database may well refuse them as well.
    if (failures.some((x) => x.fresh)) {
      back.push(f);
      continue;
    }
    let step: Failure['step'] = 'healthy';
    try {
      const health = await waitHealthy(f.target, pool.healthCheck, pool.protocol, HEALTHY_TIMEOUT_MS, input.stopping);
      if (!health.ok) {
        back.push(f);
        await recordEvent(prisma, {
          kind: 'scaling',
          severity: 'warning',
          poolId: rule.poolId,
          message: `new instance ${f.address} failed its health check (${health.detail}); not added`,
          data: { rule: rule.name, instance: f.instance.id },
        });
        continue;
      }
      step = 'joined';
      await joinPool(prisma, rule, actor, f);
      joined.push(f);
    } catch (err) {
      failures.push({ step, fresh: f, err });
      if (!back.includes(f)) back.push(f);
    }
  }
  const problems = await takeBack(input, actor, back, after.length);
  if (!failures.length) {
    // Only instances that failed their health check were stopped; a stop that failed is the scale-up's failure.
    if (problems.length) throw new Error(problems.join('; '));
    return;
  }
  for (const failure of failures) await recordFailure(input, failure, joined, back, problems);
}

/** Removes the backends added for `back` and stops them; returns what could not be done. */
async function takeBack(input: ScaleUpInput, actor: string, back: NewInstance[], total: number): Promise<string[]> {
  const problems: string[] = [];
  for (const f of back) await removeAdded(input.prisma, actor, f, 'its scale-up failed', problems);
  if (back.length)
    await attempt(problems, `stop ${back.map((f) => f.address).join(', ')}`, () =>
      stopExactly(
        input.provider,
        back.map((f) => f.instance.id),
        total - back.length,
      ),
    );
  return problems;
}

/** The failure as an event of the pool: the step, the reason and what became of the new instances. Its details (a stack) go to the log only. */
async function recordFailure(input: ScaleUpInput, failure: Failure, joined: NewInstance[], back: NewInstance[], problems: string[]): Promise<void> {
  const { rule } = input;
  const reason = errorText(failure.err);
  const what = doing(failure);
  input.log(`scaling ${rule.pool.name} up failed while ${what}: ${failure.err instanceof Error ? (failure.err.stack ?? failure.err.message) : String(failure.err)}`);
  const list = (fs: NewInstance[]) => fs.map((f) => f.address).join(', ');
  const outcome = [
    joined.length ? `${list(joined)} joined the pool` : 'no new instance joined the pool',
    ...(problems.length ? problems : back.length ? [`stopped ${list(back)}${back.some((f) => f.addedBackendId) ? ' and removed the backends added for them' : ''}`] : []),
  ];
  await recordEvent(input.prisma, {
    kind: 'scaling',
    severity: 'error',
    poolId: rule.poolId,
    message: `scaling ${rule.pool.name} up failed while ${what}: ${reason}; ${outcome.join('; ')}; a later pass starts what is missing`,
    data: {
      ...input.data,
      step: 'failed',
      failedStep: failure.step,
      reason,
      new: failure.fresh?.address ?? null,
      joined: joined.map((f) => f.address),
      stopped: back.map((f) => f.address),
      ...(problems.length ? { problems } : {}),
    },
  });
}
