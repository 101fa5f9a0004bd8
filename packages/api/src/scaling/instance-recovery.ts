import type { Backend, Pool, PrismaClient, ScalingRule } from '@fulcrum/db';
import { type TAdminState, type TScalingRuleSettings, backendAddress } from '@fulcrum/protocol';
import { errorText } from '../error-text';
import { recordEvent } from '../services/events/events';
import { patchBackend, removeBackend, systemActor, waitDataplanesApplied } from '../services/deploys/managed-backends';
import { probeBackend, waitHealthy } from '../services/deploys/probe-backend';
import { toPool } from '../services/pools/pool-mapper';
import { type NewInstance, attempt, joinPool, newInstance, removeAdded, scalingTag } from './new-instance';
import { type Instance, type ScalingProvider, remainingAfter } from './providers';
import { type Unstopped, stopRetired } from './retired-instances';
import { waitDrained } from './wait-drained';

const HEALTHY_TIMEOUT_MS = 30_000;
const APPLY_WAIT_MS = 15_000;

/** Since when each instance has failed every probe (the rule's runtime keeps it across ticks). */
export type FailingSince = Map<string, { since: number; detail: string }>;

export interface RecoveryInput {
  prisma: PrismaClient;
  rule: ScalingRule & { pool: Pool };
  settings: TScalingRuleSettings;
  provider: ScalingProvider;
  failing: FailingSince;
  /** Instances whose stop failed after their backend went (they serve nobody and are stopped again at every pass). */
  unstopped: Unstopped;
  stopping: () => boolean;
  log: (line: string) => void;
}

/** What is broken: an instance whose process is gone (its backend stays behind) or one that fails its health check. */
interface Broken {
  address: string;
  why: string;
  backend?: Backend;
  instance?: Instance;
}

/**
 * One recovery pass: probe every instance with the pool's health check, then replace each that
 * exited or has failed for `unhealthyAfterMs` (start new → passes health → joins → old drained
 * and removed), and start more while fewer than `minHealthy` run. Every step is an event of the
 * pool; a replacement that fails after its start is taken back, and the old one stays for the next
 * pass. Only providers that start and stop single instances (process, docker) take part; a
 * Kubernetes Deployment replaces its pods itself. Returns whether it acted, how many passed, and
 * the instances it judged (null when it took no part).
 */
export async function recoverInstances(input: RecoveryInput): Promise<{ acted: boolean; healthy: number | null; seen: string[] | null }> {
  const { prisma, rule, settings, provider, failing } = input;
  if (!settings.recovery.enabled || !provider.startOne || !provider.stopInstances) return { acted: false, healthy: null, seen: null };
  const pool = toPool(rule.pool);
  const instances = (await provider.list()).filter((i) => i.host && i.port && !input.unstopped.has(i.id));
  const managed = await prisma.backend.findMany({ where: { poolId: rule.poolId, managedBy: scalingTag(rule.id) } });
  const live = new Set(instances.map((i) => backendAddress({ host: i.host!, port: i.port! })));

  const now = Date.now();
  const probes = await Promise.all(instances.map(async (i) => ({ instance: i, ...(await probeBackend({ host: i.host!, port: i.port! }, pool.healthCheck, pool.protocol)) })));
  for (const id of failing.keys()) if (!instances.some((i) => i.id === id)) failing.delete(id);
  for (const p of probes) {
    if (p.ok) failing.delete(p.instance.id);
    else failing.set(p.instance.id, { since: failing.get(p.instance.id)?.since ?? now, detail: p.detail });
  }
  const healthy = probes.filter((p) => p.ok).length;

  const broken: Broken[] = [];
  for (const b of managed) {
    if (!live.has(backendAddress(b))) broken.push({ address: backendAddress(b), why: 'exited', backend: b });
  }
  for (const p of probes) {
    const f = failing.get(p.instance.id);
    if (!f || now - f.since < settings.recovery.unhealthyAfterMs) continue;
    const address = backendAddress({ host: p.instance.host!, port: p.instance.port! });
    broken.push({
      address,
      why: `failed its health check for ${Math.round((now - f.since) / 1000)} s (${f.detail})`,
      instance: p.instance,
      backend: managed.find((b) => backendAddress(b) === address),
    });
  }
  const minHealthy = settings.recovery.minHealthy ?? settings.minInstances;
  // Below minInstances is the scaling decision's to fix; recovery tops up to minHealthy beyond it.
  const extra = instances.length < settings.minInstances ? 0 : Math.min(Math.max(0, settings.maxInstances - instances.length), Math.max(0, minHealthy - instances.length));
  const seen = instances.map((i) => i.id);
  if (!broken.length && !extra) return { acted: false, healthy, seen };

  for (const b of broken) {
    if (input.stopping()) break;
    await replace(input, b);
  }
  for (let n = 0; n < extra && !input.stopping(); n++) await replace(input, { address: '', why: `${instances.length} instance(s) run, below minHealthy ${minHealthy}` });
  return { acted: true, healthy, seen };
}

/** What a recovery step records: an event of the pool, in the log too. */
type RecordStep = (severity: 'info' | 'warning' | 'error', step: string, message: string, data?: Record<string, unknown>) => Promise<void>;

/** A replacement under way and what it has changed so far, so that a failure can take it back. */
interface Replacement extends NewInstance {
  /** The step it is working towards, named when it fails. */
  step: 'started' | 'healthy' | 'joined' | 'drained' | 'removed';
  /** The old backend's admin state before it was set draining. */
  oldAdminState: TAdminState | null;
  /** Once the old backend is removed the new instance serves in its place, and a failure takes nothing back. */
  inPlace: boolean;
}

const DOING: Record<Replacement['step'], string> = {
  started: 'recording its start',
  healthy: 'waiting for its health check',
  joined: 'adding it to the pool',
  drained: 'draining the old instance',
  removed: 'removing the old instance',
};

async function replace(input: RecoveryInput, old: Broken): Promise<void> {
  const { rule } = input;
  const record = recoveryEvents(input, old);
  await record('warning', 'detected', old.address ? `instance ${old.address} of ${rule.pool.name} ${old.why}: starting a replacement` : `${rule.pool.name}: ${old.why}: starting one more`, {
    why: old.why,
  });
  const fresh = await startReplacement(input, old, record);
  if (!fresh) return;
  try {
    if (!(await admit(input, old, fresh, record))) return;
    await retire(input, old, fresh, record);
    input.failing.delete(old.instance?.id ?? '');
  } catch (err) {
    await recordFailure(input, old, fresh, record, err);
  }
}

function recoveryEvents(input: RecoveryInput, old: Broken): RecordStep {
  const { prisma, rule } = input;
  return async (severity, step, message, data = {}) => {
    input.log(message);
    await recordEvent(prisma, { kind: 'recovery', severity, poolId: rule.poolId, backendId: old.backend?.id ?? null, message, data: { rule: rule.name, step, old: old.address || null, ...data } });
  };
}

/** Starts the new instance; null (and the failure recorded) when none with an address runs. */
async function startReplacement(input: RecoveryInput, old: Broken, record: RecordStep): Promise<Replacement | null> {
  const { prisma, rule, provider } = input;
  let fresh: Instance;
  try {
    const taken = await prisma.backend.findMany({ where: { poolId: rule.poolId }, select: { port: true } });
    fresh = await provider.startOne!({}, { avoidPorts: taken.map((b) => b.port) });
  } catch (err) {
    await record('error', 'start failed', `could not start a replacement for ${old.address || rule.pool.name}: ${errorText(err)}`);
    return null;
  }
  const addressed = newInstance(fresh);
  if (!addressed) {
    await provider.stopInstances!([fresh.id]);
    await record('error', 'start failed', `the replacement ${fresh.id} has no address`);
    return null;
  }
  return { ...addressed, step: 'started', oldAdminState: null, inPlace: false };
}

/** The new instance passes the pool's health check and joins as a backend; false when it did not pass (it is stopped). */
async function admit(input: RecoveryInput, old: Broken, fresh: Replacement, record: RecordStep): Promise<boolean> {
  const { prisma, rule, provider } = input;
  const pool = toPool(rule.pool);
  const { address, target } = fresh;
  await record('info', 'started', `started ${address} to replace ${old.address || 'a missing healthy instance'}`, { new: address });
  fresh.step = 'healthy';
  const health = await waitHealthy(target, pool.healthCheck, pool.protocol, HEALTHY_TIMEOUT_MS, input.stopping);
  if (!health.ok) {
    await provider.stopInstances!([fresh.instance.id]);
    await record('error', 'unhealthy', `replacement ${address} did not pass the health check (${health.detail}); stopped it, trying again at the next tick`, { new: address });
    return false;
  }
  await record('info', 'healthy', `replacement ${address} passes the health check (${health.detail})`, { new: address });
  fresh.step = 'joined';
  await joinPool(prisma, rule, `recovery ${rule.name}`, fresh);
  await record('info', 'joined', `replacement ${address} joined ${rule.pool.name}`, { new: address });
  return true;
}

/** The old backend is drained and removed, then its instance stopped. */
async function retire(input: RecoveryInput, old: Broken, fresh: Replacement, record: RecordStep): Promise<void> {
  const { prisma, rule, provider } = input;
  const actor = systemActor(`recovery ${rule.name}`);
  const { address } = fresh;
  if (old.backend) {
    fresh.step = 'drained';
    fresh.oldAdminState = old.backend.adminState;
    await patchBackend(prisma, actor, old.backend.id, { adminState: 'draining' }, `recovery ${rule.name}: drain ${old.address} (${old.why})`);
    await waitDataplanesApplied(prisma, APPLY_WAIT_MS);
    // An exited instance has nothing to drain; a hung one may hold connections that never end.
    if (old.instance) await waitDrained(rule.poolId, [old.backend.id], rule.pool.drainTimeoutMs, input.stopping);
    await record('info', 'drained', `drained ${old.address}`, { new: address });
  }
  fresh.step = 'removed';
  if (old.backend) await removeBackend(prisma, actor, old.backend.id, `recovery ${rule.name}: remove ${old.address} (${old.why})`);
  fresh.inPlace = true;
  if (old.instance) await stopRetired(input, 'recovery', [{ id: old.instance.id, address: old.address, backend: old.backend ? 'removed' : 'never joined' }], remainingAfter(provider, 1));
  if (old.address) await record('info', 'removed', `removed ${old.address}; ${address} serves in its place`, { new: address });
}

/**
 * A step after the start threw. Until the new instance serves in the old one's place, all it
 * changed is taken back (its backend removed, the instance stopped, the old backend as it was), so
 * that nothing runs outside the pool and the next pass tries again. The reason is recorded; its
 * details (a stack, the database's full answer) go to the log only.
 */
async function recordFailure(input: RecoveryInput, old: Broken, fresh: Replacement, record: RecordStep, err: unknown): Promise<void> {
  const reason = errorText(err);
  input.log(`replacement ${fresh.address} failed while ${DOING[fresh.step]}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  const failed = `replacement ${fresh.address} for ${old.address || input.rule.pool.name} failed while ${DOING[fresh.step]}: ${reason}`;
  const data = { new: fresh.address, failedStep: fresh.step, reason };
  if (fresh.inPlace) {
    await record('error', 'failed', `${failed}; ${fresh.address} serves in the pool all the same`, data);
    return;
  }
  const problems = await undo(input, old, fresh);
  const undone = problems.length ? problems.join('; ') : `stopped it${fresh.addedBackendId ? ' and removed its backend' : ''}`;
  await record('error', 'failed', `${failed}; ${undone}; ${old.address ? `${old.address} stays` : 'the pool stays as it was'} until the next pass tries again`, data);
}

/** Takes back what a replacement changed; each part is tried even when another fails. Returns what could not be taken back. */
async function undo(input: RecoveryInput, old: Broken, fresh: Replacement): Promise<string[]> {
  const { prisma, rule, provider } = input;
  const actor = systemActor(`recovery ${rule.name}`);
  const problems: string[] = [];
  const { oldAdminState } = fresh;
  const oldBackend = old.backend;
  if (oldBackend && oldAdminState)
    await attempt(problems, `set ${old.address} ${oldAdminState} again`, () =>
      patchBackend(prisma, actor, oldBackend.id, { adminState: oldAdminState }, `recovery ${rule.name}: ${old.address} back to ${oldAdminState} (its replacement failed)`),
    );
  await removeAdded(prisma, `recovery ${rule.name}`, fresh, 'its replacement failed', problems);
  await attempt(problems, `stop ${fresh.address}`, () => provider.stopInstances!([fresh.instance.id]));
  return problems;
}
