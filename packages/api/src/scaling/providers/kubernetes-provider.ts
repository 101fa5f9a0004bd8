import type { TKubernetesProfileSpec } from '@fulcrum/protocol';
import { averageOf } from './cpu-sampler';
import { expectStatus, httpJson } from './http-json';
import type { Instance, ScalingProvider } from './provider';

/** A kubernetes profile and its bearer token (the profile's write-only secret). */
export type KubernetesTarget = Omit<TKubernetesProfileSpec, 'kind' | 'parameters'> & { token?: string };

interface DeploymentBody {
  spec?: {
    replicas?: number;
    selector?: { matchLabels?: Record<string, string> };
    template?: { spec?: { containers?: { resources?: { requests?: { cpu?: string } } }[] } };
  };
  status?: { replicas?: number; readyReplicas?: number };
}

interface PodMetricsList {
  items?: { containers?: { usage?: { cpu?: string } }[] }[];
}

/** A Kubernetes CPU quantity (`2`, `0.5`, `250m`, `1500u`, `123456789n`) in cores, or null when it is none. */
export function parseCpuQuantity(q: string): number | null {
  const m = /^(\d+(?:\.\d+)?)(n|u|m)?$/.exec(q.trim());
  if (!m) return null;
  const scale = { n: 1e-9, u: 1e-6, m: 1e-3 }[m[2] as 'n' | 'u' | 'm'] ?? 1;
  return Number(m[1]) * scale;
}

/**
 * A Deployment's replicas through the apps/v1 API: a JSON merge patch of `spec.replicas`, and its
 * status read back. Kubernetes chooses which pods go and its Service spreads traffic over them,
 * so instances are counted, not addressed.
 */
export class KubernetesProvider implements ScalingProvider {
  readonly kind = 'kubernetes';
  readonly ownsInstances = false;

  constructor(private readonly config: KubernetesTarget) {}

  private get url(): string {
    const { apiUrl, namespace, deployment } = this.config;
    return `${apiUrl.replace(/\/+$/, '')}/apis/apps/v1/namespaces/${encodeURIComponent(namespace)}/deployments/${encodeURIComponent(deployment)}`;
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...(this.config.token ? { authorization: `Bearer ${this.config.token}` } : {}), ...extra };
  }

  private toInstances(body: DeploymentBody): Instance[] {
    const ready = body.status?.readyReplicas ?? 0;
    return Array.from({ length: ready }, (_, i) => ({ id: `${this.config.deployment}-${i}` }));
  }

  /** Desired replicas as Kubernetes holds them (the spec), which is what the evaluator scales from. */
  async replicas(): Promise<{ desired: number; ready: number }> {
    const res = await httpJson({ method: 'GET', url: this.url, headers: this.headers() });
    expectStatus(res, [200], `read deployment ${this.config.namespace}/${this.config.deployment}`);
    const body = res.json as DeploymentBody;
    return { desired: body.spec?.replicas ?? 0, ready: body.status?.readyReplicas ?? 0 };
  }

  async list(): Promise<Instance[]> {
    const res = await httpJson({ method: 'GET', url: this.url, headers: this.headers() });
    expectStatus(res, [200], `read deployment ${this.config.namespace}/${this.config.deployment}`);
    return this.toInstances(res.json as DeploymentBody);
  }

  /**
   * CPU of the Deployment's pods from the metrics API (metrics.k8s.io, served by metrics-server):
   * each pod's usage against its CPU requests, as the HorizontalPodAutoscaler measures it
   * (against one core when the pod template requests none), averaged over the pods.
   */
  async cpuPercent(): Promise<number | null> {
    const res = await httpJson({ method: 'GET', url: this.url, headers: this.headers() });
    expectStatus(res, [200], `read deployment ${this.config.namespace}/${this.config.deployment}`);
    const body = res.json as DeploymentBody;
    const labels = body.spec?.selector?.matchLabels ?? {};
    if (!Object.keys(labels).length) throw new Error(`deployment ${this.config.namespace}/${this.config.deployment} has no matchLabels selector to find its pods by`);
    const requested = (body.spec?.template?.spec?.containers ?? []).reduce((sum, c) => sum + (parseCpuQuantity(c.resources?.requests?.cpu ?? '') ?? 0), 0);
    const selector = Object.entries(labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const base = this.config.apiUrl.replace(/\/+$/, '');
    const metrics = await httpJson({
      method: 'GET',
      url: `${base}/apis/metrics.k8s.io/v1beta1/namespaces/${encodeURIComponent(this.config.namespace)}/pods?labelSelector=${encodeURIComponent(selector)}`,
      headers: this.headers(),
    });
    expectStatus(metrics, [200], `read pod metrics of ${this.config.namespace}/${this.config.deployment}`);
    const pods = (metrics.json as PodMetricsList).items ?? [];
    const percents = pods.map((p) => {
      const used = (p.containers ?? []).reduce((sum, c) => sum + (parseCpuQuantity(c.usage?.cpu ?? '') ?? 0), 0);
      return (used / (requested > 0 ? requested : 1)) * 100;
    });
    return averageOf(percents);
  }

  async scaleTo(desired: number): Promise<Instance[]> {
    const res = await httpJson({
      method: 'PATCH',
      url: this.url,
      headers: this.headers({ 'content-type': 'application/merge-patch+json' }),
      body: JSON.stringify({ spec: { replicas: desired } }),
    });
    expectStatus(res, [200], `scale deployment ${this.config.namespace}/${this.config.deployment} to ${desired}`);
    return this.toInstances(res.json as DeploymentBody);
  }
}
