import type { TDockerProfileSpec } from '@fulcrum/protocol';
import { averageOf } from './cpu-sampler';
import { expectStatus, httpJson } from './http-json';
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

/**
 * Containers of one image through the Docker Engine API (its unix socket, or a base URL): create
 * with the container port published on an ephemeral host port, start, and stop + remove. The
 * containers carry labels naming the pool and rule, so `list` finds them again after a restart.
 */
export class DockerProvider implements ScalingProvider {
  readonly kind = 'docker';
  readonly ownsInstances = true;

  constructor(
    private readonly config: DockerTarget,
    private readonly scope: ProviderScope,
  ) {}

  private labelFilter(): string {
    return JSON.stringify({ label: [`fulcrum.pool=${this.scope.pool}`, `fulcrum.rule=${this.scope.rule}`], status: ['running', 'created'] });
  }

  private call(method: string, path: string, body?: unknown) {
    const url = `/${DOCKER_API_VERSION}${path}`;
    return httpJson({
      method,
      url: this.config.baseUrl ? `${this.config.baseUrl.replace(/\/+$/, '')}${url}` : url,
      socketPath: this.config.baseUrl ? undefined : (this.config.socketPath ?? DEFAULT_DOCKER_SOCKET),
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
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
    const binding = info.NetworkSettings?.Ports?.[this.portKey]?.[0];
    const host = !binding?.HostIp || binding.HostIp === '0.0.0.0' || binding.HostIp === '::' ? '127.0.0.1' : binding.HostIp;
    return { id, host, port: binding ? Number(binding.HostPort) : undefined };
  }

  async list(): Promise<Instance[]> {
    const res = await this.call('GET', `/containers/json?all=true&filters=${encodeURIComponent(this.labelFilter())}`);
    expectStatus(res, [200], 'list containers');
    const containers = (res.json as ContainerSummary[]).sort((a, b) => a.Created - b.Created);
    return Promise.all(containers.map((c) => this.address(c.Id)));
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
    for (let n = current.length; n < desired; n++) {
      const create = await this.call('POST', `/containers/create`, {
        Image: this.config.image,
        Labels: { 'fulcrum.pool': this.scope.pool, 'fulcrum.rule': this.scope.rule },
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
