import type { PrismaClient } from '@fulcrum/db';
import { errorText } from '../error-text';
import { recordEvent } from '../services/events/events';
import { type ScalingProvider, stopExactly } from './providers';

/** An instance taken out of service: what the provider calls it and the address it served (or would have served) at. */
export interface Retired {
  id: string;
  address: string;
  /**
   * What became of its backend before the stop: removed, none (it never joined the pool: a new
   * instance a rollback takes back, one that failed its health check), or still in the pool (the
   * removal failed). Unsaid: removed.
   */
  backend?: 'removed' | 'never joined' | 'not removed';
}

/** The timeline an instance's stop belongs to: a scale-down's, a recovery's, a rolling deploy's. */
const KINDS = ['scaling', 'recovery', 'deploy_step'] as const;
type Kind = (typeof KINDS)[number];

/**
 * Instances whose backend was removed and whose stop failed, by id, with the timeline they belong
 * to and the reason last recorded. Held across passes (the rule's runtime keeps it): nothing counts
 * them as capacity, and each pass stops them again until they are gone.
 */
export type Unstopped = Map<string, Retired & { kind: Kind; reason: string }>;

export interface RetiredInput {
  prisma: PrismaClient;
  /** The scaling rule whose instances they are. */
  rule: { name: string; poolId: string };
  provider: ScalingProvider;
  unstopped: Unstopped;
  log: (line: string) => void;
}

const addresses = (rs: Retired[]) => rs.map((r) => r.address).join(', ');

/** The instances named by what happened to their backends: an instance that never joined is not said to have lost its backend. */
function described(rs: Retired[]): string {
  const of = (state: Retired['backend']) => rs.filter((r) => (r.backend ?? 'removed') === state);
  const removed = of('removed');
  const never = of('never joined');
  const kept = of('not removed');
  return [
    ...(removed.length ? [`${addresses(removed)} after ${removed.length > 1 ? 'their backends were' : 'its backend was'} removed`] : []),
    ...(never.length ? [`${addresses(never)}, which never joined the pool,`] : []),
    ...(kept.length ? [`${addresses(kept)}, whose backend could not be removed,`] : []),
  ]
    .join(' and ')
    .replace(/,$/, '');
}

async function record(input: RetiredInput, kind: Kind, severity: 'info' | 'warning' | 'error', message: string, data: Record<string, string | string[]>): Promise<void> {
  input.log(message);
  await recordEvent(input.prisma, { kind, severity, poolId: input.rule.poolId, message, data: { rule: input.rule.name, ...data } });
}

/**
 * Stops instances whose backends were removed (a scale-down's, a recovery's or a rolling deploy's
 * old ones). One that took more than asking (killed after it ignored SIGTERM) is a warning event
 * naming it; a stop that fails is an error event naming them, and they are kept in `unstopped` for
 * the next pass instead of being forgotten (so is one whose count to remain could not be worked
 * out). Never throws for a failed stop: answers whether all stopped.
 */
export async function stopRetired(input: RetiredInput, kind: Kind, retired: Retired[], remaining: number | (() => Promise<number>)): Promise<boolean> {
  if (!retired.length) return true;
  try {
    const notes = await stopExactly(
      input.provider,
      retired.map((r) => r.id),
      remaining,
    );
    for (const r of retired) input.unstopped.delete(r.id);
    for (const r of retired) {
      const note = notes[r.id];
      if (note) await record(input, kind, 'warning', `stopped ${described([r])}: ${note}`, { step: 'killed', instance: r.address, note });
    }
    return true;
  } catch (err) {
    const reason = errorText(err);
    const fresh = retired.filter((r) => input.unstopped.get(r.id)?.reason !== reason);
    for (const r of retired) input.unstopped.set(r.id, { ...r, kind, reason });
    const message = `could not stop ${described(retired)}: ${reason}; the next pass tries again`;
    // The same failure again goes to the log only: a stop retried every pass would flood the timeline.
    if (fresh.length) await record(input, kind, 'error', message, { step: 'stop failed', instances: retired.map((r) => r.address), reason });
    else input.log(message);
    return false;
  }
}

/** The instances whose stop failed at an earlier pass, stopped again; one that is gone at last is an event naming it. */
export async function retryUnstopped(input: RetiredInput): Promise<void> {
  for (const kind of KINDS) {
    const pending = [...input.unstopped.values()].filter((u) => u.kind === kind);
    if (!pending.length) continue;
    const remaining = async () => (await input.provider.list()).filter((i) => !input.unstopped.has(i.id)).length;
    await stopRetired(input, kind, pending, remaining);
    const stopped = pending.filter((u) => !input.unstopped.has(u.id));
    if (stopped.length)
      await record(input, kind, 'info', `stopped ${addresses(stopped)} at a later pass (the stop had failed: ${stopped[0]!.reason})`, {
        step: 'stopped',
        instances: stopped.map((u) => u.address),
      });
  }
}
