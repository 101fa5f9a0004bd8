/** One running instance a provider manages. Address-less providers (Kubernetes, webhook) give only an id. */
export interface Instance {
  id: string;
  host?: string;
  port?: number;
  /** The `version` parameter it was started with, when the profile declares one. */
  version?: string;
}

export interface ScaleOptions {
  /** Instances to remove first when scaling down (the ones already drained); providers that cannot choose ignore it. */
  remove?: string[];
  /** Ports new instances must not take when scaling up (the pool's backends hold them); providers that choose no ports ignore it. */
  avoidPorts?: number[];
}

export interface StartOptions {
  /** Ports the new instance must not take: a dead instance's backend still holds its address until it is removed. */
  avoidPorts?: number[];
}

/** What the evaluator drives; every provider (process, docker, kubernetes, webhook) is one of these. */
export interface ScalingProvider {
  readonly kind: string;
  /**
   * The instances are the provider's own (it started them: processes, containers), so they go
   * when their pool goes. A Kubernetes Deployment or a webhook's receiver owns its instances.
   */
  readonly ownsInstances: boolean;
  list(): Promise<Instance[]>;
  scaleTo(desired: number, opts?: ScaleOptions): Promise<Instance[]>;
  /**
   * Average CPU use of the instances in percent of one core since the previous call (null until
   * two samples exist, or when the provider cannot tell).
   */
  cpuPercent?(): Promise<number | null>;
  /** Starts one more instance, with parameter values overriding the rule's (a rolling deploy's `version`). */
  startOne?(overrides?: Record<string, string>, opts?: StartOptions): Promise<Instance>;
  /**
   * Stops the named instances (recovery and rolling deploys choose exactly which); throws when one
   * could not be stopped (it stays known, so asking again tries again). Answers what a stop took
   * beyond the asking, by instance (a process killed after it ignored SIGTERM).
   */
  stopInstances?(ids: string[]): Promise<StopNotes | void>;
  /** Releases what the provider holds in this process (never stops instances). */
  close?(): Promise<void>;
  /**
   * The rule or its pool has a new name: what the provider keeps beside its instances (the
   * records on disk) names them anew, so that what a later start reads of a gone rule is current.
   */
  renamed?(names: Pick<ProviderScope, 'pool' | 'rule'>): void;
}

/** What stopping took beyond the asking, by instance id. */
export type StopNotes = Record<string, string>;

/** Names a provider uses to label what it creates. */
export interface ProviderScope {
  pool: string;
  rule: string;
  /** The rule's id: names what a provider keeps on disk, so renaming the rule loses nothing. */
  ruleId?: string;
  /**
   * The rule's pool and the database both are in, kept with what a provider keeps on disk: a
   * control plane that starts after the rule went knows whether its pool went too.
   */
  poolId?: string;
  database?: string;
}

/** Picks which instances to drop: the ones asked for first, then the newest (they served least). */
export function pickForRemoval<T extends { id: string }>(instances: T[], count: number, preferred: string[] = []): T[] {
  if (count <= 0) return [];
  const wanted = instances.filter((i) => preferred.includes(i.id));
  const rest = instances.filter((i) => !preferred.includes(i.id)).reverse();
  return [...wanted, ...rest].slice(0, count);
}

/**
 * Brings `desired` instances up where `current` ran when the decision was taken, and returns the
 * provider's instances after. A provider that starts single instances starts exactly the missing
 * ones: a total counted at the call would also stand in for an instance that exited since the
 * decision, which recovery replaces as well (the pool would end one over).
 */
export async function startUpTo(provider: ScalingProvider, current: number, desired: number, opts: StartOptions): Promise<Instance[]> {
  if (!provider.startOne) return provider.scaleTo(desired, opts);
  for (let n = current; n < desired; n++) await provider.startOne({}, opts);
  return provider.list();
}

/**
 * Stops exactly the named instances. A provider that only takes a count is asked for `remaining`
 * with them named first; it counts at the call, so when another instance exited meanwhile one of
 * them keeps running. A count to be worked out (from the provider's list) is asked for only then:
 * a provider that stops single instances stops them even when it cannot list.
 */
export async function stopExactly(provider: ScalingProvider, ids: string[], remaining: number | (() => Promise<number>)): Promise<StopNotes> {
  if (provider.stopInstances) return (await provider.stopInstances(ids)) ?? {};
  await provider.scaleTo(typeof remaining === 'number' ? remaining : await remaining(), { remove: ids });
  return {};
}

/** How many of the provider's instances are left once `stopped` more go: a count for stopExactly. */
export const remainingAfter = (provider: ScalingProvider, stopped: number) => async () => (await provider.list()).length - stopped;
