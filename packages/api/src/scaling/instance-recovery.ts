import type { Backend, Pool, PrismaClient, ScalingRule } from '@fulcrum/db';
import { type TScalingRuleSettings, backendAddress } from '@fulcrum/protocol';
import { recordEvent } from '../services/events/events';
import { addBackend, patchBackend, removeBackend, systemActor, waitDataplanesApplied } from '../services/deploys/managed-backends';
import { probeBackend, waitHealthy } from '../services/deploys/probe-backend';
import { toPool } from '../services/pools/pool-mapper';
import type { Instance, ScalingProvider } from './providers';
import { waitDrained } from './wait-drained';

const HEALTHY_TIMEOUT_MS = 30_000;
const APPLY_WAIT_MS = 15_000;

export const scalingTag = (ruleId: string) => `scaling:${ruleId}`;

/** Since when each instance has failed every probe (the rule's runtime keeps it across ticks). */
export type FailingSince = Map<string, { since: number; detail: string }>;

export interface RecoveryInput {
  prisma: PrismaClient;
  rule: ScalingRule & { pool: Pool };
  settings: TScalingRuleSettings;
  provider: ScalingProvider;
  failing: FailingSince;
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
 * pool. Only providers that start and stop single instances (process, docker) take part; a
 * Kubernetes Deployment replaces its pods itself. Returns whether it acted, how many passed, and
 * the instances it judged (null when it took no part).
 */
export async function recoverInstances(input: RecoveryInput): Promise<{ acted: boolean; healthy: number | null; seen: string[] | null }> {
  const { prisma, rule, settings, provider, failing } = input;
  if (!settings.recovery.enabled || !provider.startOne || !provider.stopInstances) return { acted: false, healthy: null, seen: null };
  const pool = toPool(rule.pool);
  const instances = (await provider.list()).filter((i) => i.host && i.port);
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

async function replace(input: RecoveryInput, old: Broken): Promise<void> {
  const { prisma, rule, provider } = input;
  const pool = toPool(rule.pool);
  const actor = systemActor(`recovery ${rule.name}`);
  const event = (severity: 'info' | 'warning' | 'error', step: string, message: string, data: Record<string, unknown> = {}) => {
    input.log(message);
    return recordEvent(prisma, { kind: 'recovery', severity, poolId: rule.poolId, backendId: old.backend?.id ?? null, message, data: { rule: rule.name, step, old: old.address || null, ...data } });
  };
  await event('warning', 'detected', old.address ? `instance ${old.address} of ${rule.pool.name} ${old.why}: starting a replacement` : `${rule.pool.name}: ${old.why}: starting one more`, {
    why: old.why,
  });
  let fresh: Instance;
  try {
    const taken = await prisma.backend.findMany({ where: { poolId: rule.poolId }, select: { port: true } });
    fresh = await provider.startOne!({}, { avoidPorts: taken.map((b) => b.port) });
  } catch (err) {
    await event('error', 'start failed', `could not start a replacement for ${old.address || rule.pool.name}: ${err instanceof Error ? err.message : String(err)}`);
    return;
  }
  if (!fresh.host || !fresh.port) {
    await provider.stopInstances!([fresh.id]);
    await event('error', 'start failed', `the replacement ${fresh.id} has no address`);
    return;
  }
  const target = { host: fresh.host, port: fresh.port };
  const address = backendAddress(target);
  await event('info', 'started', `started ${address} to replace ${old.address || 'a missing healthy instance'}`, { new: address });
  const health = await waitHealthy(target, pool.healthCheck, pool.protocol, HEALTHY_TIMEOUT_MS, input.stopping);
  if (!health.ok) {
    await provider.stopInstances!([fresh.id]);
    await event('error', 'unhealthy', `replacement ${address} did not pass the health check (${health.detail}); stopped it, trying again at the next tick`, { new: address });
    return;
  }
  await event('info', 'healthy', `replacement ${address} passes the health check (${health.detail})`, { new: address });
  const exists = await prisma.backend.findFirst({ where: { poolId: rule.poolId, host: target.host, port: target.port } });
  if (!exists)
    await addBackend(
      prisma,
      actor,
      rule.poolId,
      { ...target, weight: 1, backup: false, maxConnections: 0, adminState: 'active', versionLabel: fresh.version ?? null },
      scalingTag(rule.id),
      `recovery ${rule.name}: add ${address}`,
    );
  await event('info', 'joined', `replacement ${address} joined ${rule.pool.name}`, { new: address });
  if (old.backend) {
    await patchBackend(prisma, actor, old.backend.id, { adminState: 'draining' }, `recovery ${rule.name}: drain ${old.address} (${old.why})`);
    await waitDataplanesApplied(prisma, APPLY_WAIT_MS);
    // An exited instance has nothing to drain; a hung one may hold connections that never end.
    if (old.instance) await waitDrained(rule.poolId, [old.backend.id], rule.pool.drainTimeoutMs, input.stopping);
    await event('info', 'drained', `drained ${old.address}`, { new: address });
    await removeBackend(prisma, actor, old.backend.id, `recovery ${rule.name}: remove ${old.address} (${old.why})`);
  }
  if (old.instance) await provider.stopInstances!([old.instance.id]);
  if (old.address) await event('info', 'removed', `removed ${old.address}; ${address} serves in its place`, { new: address });
  input.failing.delete(old.instance?.id ?? '');
}
