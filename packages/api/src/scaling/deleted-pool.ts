import type { PrismaClient } from '@fulcrum/db';
import { backendAddress } from '@fulcrum/protocol';
import { errorText } from '../error-text';
import { recordEvent } from '../services/events/events';
import { type Instance, type ScalingProvider, stopExactly } from './providers';

export interface DeletedPoolInput {
  prisma: PrismaClient;
  provider: ScalingProvider;
  /** The deleted pool's name and the scaling rule that went with it. */
  pool: string;
  rule: string;
  /** The reason of the failure last recorded for this pool: the same one again goes to the log only. */
  reported: string | undefined;
  log: (line: string) => void;
}

/** Done: nothing of the pool runs any more (or what runs is its owner's). Else why not, for the next pass to try again. */
export type DeletedPoolOutcome = { done: true } | { done: false; reason: string };

const named = (i: Instance) => (i.host && i.port ? backendAddress({ host: i.host, port: i.port }) : i.id);

/**
 * The pool of a scaling rule was deleted (its rule and backends went with it): the instances the
 * provider started serve nobody now, so they are stopped, and a `scaling` event (of no pool, the
 * pool is gone) names them. A provider that does not own its instances (a Kubernetes Deployment,
 * a webhook's receiver) is asked nothing; the event says they are left to their owner. A stop that
 * fails is recorded and tried again at a later pass.
 */
export async function retireDeletedPool(input: DeletedPoolInput): Promise<DeletedPoolOutcome> {
  const { prisma, provider, pool, rule } = input;
  const record = async (severity: 'info' | 'error', message: string, data: Record<string, string | string[]>) => {
    input.log(message);
    await recordEvent(prisma, { kind: 'scaling', severity, poolId: null, message, data: { rule, pool, step: 'pool deleted', ...data } });
  };
  let instances: Instance[] = [];
  try {
    instances = await provider.list();
    if (!instances.length) return { done: true };
    if (!provider.ownsInstances) {
      await record('info', `pool ${pool} was deleted with its scaling rule ${rule}: its ${provider.kind} instances are left to their owner`, { left: instances.map(named) });
      return { done: true };
    }
    await stopExactly(
      provider,
      instances.map((i) => i.id),
      0,
    );
  } catch (err) {
    const reason = errorText(err);
    const message = `pool ${pool} was deleted, but stopping its instances ${instances.map(named).join(', ') || '(not listed)'} failed: ${reason}; a later pass tries again`;
    if (reason === input.reported) input.log(message);
    else await record('error', message, { failed: instances.map(named), reason });
    return { done: false, reason };
  }
  const stopped = instances.map(named);
  await record('info', `pool ${pool} was deleted: stopped the instances its scaling rule ${rule} had started (${stopped.join(', ')})`, { stopped });
  return { done: true };
}
