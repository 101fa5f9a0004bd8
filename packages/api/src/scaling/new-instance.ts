import type { Pool, PrismaClient, ScalingRule } from '@fulcrum/db';
import { backendAddress } from '@fulcrum/protocol';
import { errorText } from '../error-text';
import { addBackend, removeBackend, systemActor } from '../services/deploys/managed-backends';
import type { Instance } from './providers';

export const scalingTag = (ruleId: string) => `scaling:${ruleId}`;

/**
 * An instance a scale-up or a recovery started, on its way into the pool, and the backend added
 * for it so far: what a failure takes back so that nothing runs outside the pool.
 */
export interface NewInstance {
  instance: Instance;
  target: { host: string; port: number };
  address: string;
  /** The backend added for it; null until then, and when the pool had one at its address already. */
  addedBackendId: string | null;
}

/** The new instance with its address; null when the provider gave none. */
export function newInstance(instance: Instance): NewInstance | null {
  if (!instance.host || !instance.port) return null;
  const target = { host: instance.host, port: instance.port };
  return { instance, target, address: backendAddress(target), addedBackendId: null };
}

/** The new instance joins the rule's pool as an active backend, unless the pool has one at its address. */
export async function joinPool(prisma: PrismaClient, rule: ScalingRule & { pool: Pool }, actor: string, fresh: NewInstance): Promise<void> {
  const { target, address } = fresh;
  const exists = await prisma.backend.findFirst({ where: { poolId: rule.poolId, host: target.host, port: target.port } });
  if (exists) return;
  const added = await addBackend(
    prisma,
    systemActor(actor),
    rule.poolId,
    { ...target, weight: 1, backup: false, maxConnections: 0, adminState: 'active', versionLabel: fresh.instance.version ?? null },
    scalingTag(rule.id),
    `${actor}: add ${address}`,
  );
  fresh.addedBackendId = added.id;
}

/** Removes the backend added for a new instance that is taken back; what could not be done goes to `problems`. */
export async function removeAdded(prisma: PrismaClient, actor: string, fresh: NewInstance, why: string, problems: string[]): Promise<void> {
  const id = fresh.addedBackendId;
  if (!id) return;
  await attempt(problems, `remove the backend ${fresh.address}`, () => removeBackend(prisma, systemActor(actor), id, `${actor}: remove ${fresh.address} (${why})`));
}

/** One part of taking something back, tried even when another part failed: a failure is added to `problems`, never thrown. Answers whether it was done. */
export async function attempt(problems: string[], what: string, action: () => Promise<unknown>): Promise<boolean> {
  try {
    await action();
    return true;
  } catch (err) {
    problems.push(`could not ${what}: ${errorText(err)}`);
    return false;
  }
}
