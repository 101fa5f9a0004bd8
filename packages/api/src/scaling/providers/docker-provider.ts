import type { TDockerProfileSpec } from '@fulcrum/protocol';
import { averageOf } from './cpu-sampler';
import { expectStatus, httpJson } from './http-json';
import type { RecordOwner } from './process-provider';
import { type Instance, type ProviderScope, type ScaleOptions, type ScalingProvider, pickForRemoval } from './provider';

/** A docker profile with its image's placeholders already filled from the rule's checked parameters. */
export type DockerTarget = Omit<TDockerProfileSpec, 'kind' | 'parameters'>;

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** Engine API version these request shapes follow. */
export const DOCKER_API_VERSION = 'v1.43';

interface ContainerSummary {
  Id: string;
  Created: number;
  State: string;
  Labels?: Record<string, string>;
}

/** The part of `GET /containers/{id}/stats?stream=false` that CPU use is computed from. */
interface ContainerStats {
  cpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number; online_cpus?: number };
  precpu_stats?: { cpu_usage?: { total_usage?: number }; system_cpu_usage?: number };
}

/**
 * CPU use of a container as `docker stats` shows it: the container's share of the host's CPU
 * time between the Engine's two samples, times the CPUs online (100 % = one core busy).
 */
export function dockerCpuPercent(stats: ContainerStats): number | null {
  const total = stats.cpu_stats?.cpu_usage?.total_usage;
  const preTotal = stats.precpu_stats?.cpu_usage?.total_usage;
  const system = stats.cpu_stats?.system_cpu_usage;
  const preSystem = stats.precpu_stats?.system_cpu_usage;
  const cpus = stats.cpu_stats?.online_cpus ?? 1;
  if (total === undefined || preTotal === undefined || system === undefined || preSystem === undefined) return null;
  const systemDelta = system - preSystem;
  if (systemDelta <= 0) return null;
  return (Math.max(0, total - preTotal) / systemDelta) * cpus * 100;
}

interface ContainerInspect {
  Id: string;
  NetworkSettings?: {
    Ports?: Record<string, { HostIp: string; HostPort: string }[] | null>;
    Networks?: Record<string, { IPAddress?: string }>;
  };
}

/** Where an Engine answers: its unix socket, or a base URL. */
export type DockerEndpoint = Pick<DockerTarget, 'socketPath' | 'baseUrl'>;

/** The labels every container carries: its rule, the rule's pool and the database both are in, by id (names are for people; they change). */
const LABEL = { pool: 'fulcrum.pool', rule: 'fulcrum.rule', poolId: 'fulcrum.pool-id', ruleId: 'fulcrum.rule-id', database: 'fulcrum.database' } as const;

/** Containers that are there to serve: created or running, not exited or being removed. */
const SERVING = ['running', 'created'];

function engineCall(endpoint: DockerEndpoint, method: string, path: string, body?: unknown) {
  const url = `/${DOCKER_API_VERSION}${path}`;
  return httpJson({
    method,
    url: endpoint.baseUrl ? `${endpoint.baseUrl.replace(/\/+$/, '')}${url}` : url,
    socketPath: endpoint.baseUrl ? undefined : (endpoint.socketPath ?? DEFAULT_DOCKER_SOCKET),
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** The serving containers whose labels hold every one of `labels` (`name=value`), oldest first. */
async function labelled(endpoint: DockerEndpoint, labels: string[]): Promise<ContainerSummary[]> {
  const filters = JSON.stringify({ label: labels, status: SERVING });
  const res = await engineCall(endpoint, 'GET', `/containers/json?all=true&filters=${encodeURIComponent(filters)}`);
  expectStatus(res, [200], 'list containers');
  return (res.json as ContainerSummary[]).sort((a, b) => a.Created - b.Created);
}

/**
 * The owners named by the labels of the containers this database's rules started at `endpoint`,
 * one per rule: what a control plane that starts after a rule went finds its containers by.
 */
export async function labelledOwners(endpoint: DockerEndpoint, database: string): Promise<RecordOwner[]> {
  const owners = new Map<string, RecordOwner>();
  for (const c of await labelled(endpoint, [`${LABEL.database}=${database}`])) {
    const l = c.Labels ?? {};
    const owner = { database, ruleId: l[LABEL.ruleId] ?? '', rule: l[LABEL.rule] ?? '', poolId: l[LABEL.poolId] ?? '', pool: l[LABEL.pool] ?? '' };
    if (owner.ruleId && owner.poolId) owners.set(owner.ruleId, owner);
  }
  return [...owners.values()];
}

/**
 * Containers of one image through the Docker Engine API (its unix socket, or a base URL): create
 * with the container port published on an ephemeral host port, start, and stop + remove. The
 * containers carry labels naming their rule, its pool and the database by id (and by name), so
 * `list` finds them again after a restart or a rename, and a control plane that starts after
 * their pool went finds them to stop.
 */
export class DockerProvider implements ScalingProvider {
  readonly kind = 'docker';
  readonly ownsInstances = true;

  constructor(
    private readonly config: DockerTarget,
    private readonly scope: ProviderScope,
    /** Whether containers labelled by the rule's and pool's names alone are the rule's too. */
    private readonly namedToo = true,
  ) {}

  /**
   * The containers of a rule that is gone, found by the labels naming it by id, with no image to
   * start more: lists and stops them, starts none. Their published port is whichever they have.
   * Those labelled by names alone are left as they are: nothing says which database's they are.
   */
  static ofLabels(endpoint: DockerEndpoint, owner: RecordOwner): DockerProvider {
    const { pool, rule, ruleId, poolId, database } = owner;
    return new DockerProvider({ ...endpoint, image: '', containerPort: 0 }, { pool, rule, ruleId, poolId, database }, false);
  }

  /** What each new container is labelled with: the owner by id when the scope has it, and by name. */
  private labels(): Record<string, string> {
    const { pool, rule, ruleId, poolId, database } = this.scope;
    return { [LABEL.pool]: pool, [LABEL.rule]: rule, ...(ruleId && poolId && database ? { [LABEL.ruleId]: ruleId, [LABEL.poolId]: poolId, [LABEL.database]: database } : {}) };
  }

  /**
   * The rule's containers: by its id and database when the scope has them, and those labelled by
   * the rule's and pool's names alone (created before labels named the owner by id).
   */
  private async containers(): Promise<ContainerSummary[]> {
    const { pool, rule, ruleId, database } = this.scope;
    const byName = [`${LABEL.pool}=${pool}`, `${LABEL.rule}=${rule}`];
    if (!ruleId || !database) return labelled(this.config, byName);
    const [owned, named] = await Promise.all([labelled(this.config, [`${LABEL.ruleId}=${ruleId}`, `${LABEL.database}=${database}`]), this.namedToo ? labelled(this.config, byName) : []]);
    return [...owned, ...named.filter((c) => !c.Labels?.[LABEL.ruleId])].sort((a, b) => a.Created - b.Created);
  }

  private call(method: string, path: string, body?: unknown) {
    return engineCall(this.config, method, path, body);
  }

  private get portKey(): string {
    return `${this.config.containerPort}/tcp`;
  }

  private async address(id: string): Promise<Instance> {
    const res = await this.call('GET', `/containers/${encodeURIComponent(id)}/json`);
    expectStatus(res, [200], `inspect container ${id}`);
    const info = res.json as ContainerInspect;
    if (this.config.network) {
      const ip = info.NetworkSettings?.Networks?.[this.config.network]?.IPAddress;
      return { id, host: ip || undefined, port: this.config.containerPort };
    }
    const ports = info.NetworkSettings?.Ports ?? {};
    // A gone rule's provider knows no container port: the one the container publishes.
    const binding = (this.config.containerPort ? ports[this.portKey] : Object.values(ports).find((b) => b?.length))?.[0];
    const host = !binding?.HostIp || binding.HostIp === '0.0.0.0' || binding.HostIp === '::' ? '127.0.0.1' : binding.HostIp;
    return { id, host, port: binding ? Number(binding.HostPort) : undefined };
  }

  async list(): Promise<Instance[]> {
    return Promise.all((await this.containers()).map((c) => this.address(c.Id)));
  }

  /** Averages the containers' `stats` (one-shot reads: the Engine gives the previous sample with each). */
  async cpuPercent(): Promise<number | null> {
    const containers = await this.list();
    const values = await Promise.all(
      containers.map(async (c) => {
        const res = await this.call('GET', `/containers/${encodeURIComponent(c.id)}/stats?stream=false`);
        expectStatus(res, [200], `stats of container ${c.id}`);
        return dockerCpuPercent(res.json as ContainerStats);
      }),
    );
    return averageOf(values);
  }

  async scaleTo(desired: number, opts: ScaleOptions = {}): Promise<Instance[]> {
    const current = await this.list();
    for (const victim of pickForRemoval(current, current.length - desired, opts.remove)) {
      expectStatus(await this.call('POST', `/containers/${encodeURIComponent(victim.id)}/stop?t=10`), [204, 304, 404], `stop container ${victim.id}`);
      expectStatus(await this.call('DELETE', `/containers/${encodeURIComponent(victim.id)}?force=true`), [204, 404], `remove container ${victim.id}`);
    }
    if (current.length < desired && !this.config.image) throw new Error('the rule that started these containers is gone: they can be stopped, no more started');
    for (let n = current.length; n < desired; n++) {
      const create = await this.call('POST', `/containers/create`, {
        Image: this.config.image,
        Labels: this.labels(),
        ExposedPorts: { [this.portKey]: {} },
        HostConfig: {
          PortBindings: this.config.network ? {} : { [this.portKey]: [{ HostIp: '127.0.0.1', HostPort: '' }] },
          NetworkMode: this.config.network ?? 'bridge',
          RestartPolicy: { Name: 'unless-stopped' },
        },
      });
      expectStatus(create, [201], `create a container of ${this.config.image}`);
      const id = (create.json as { Id: string }).Id;
      expectStatus(await this.call('POST', `/containers/${encodeURIComponent(id)}/start`), [204, 304], `start container ${id}`);
    }
    return this.list();
  }
}
