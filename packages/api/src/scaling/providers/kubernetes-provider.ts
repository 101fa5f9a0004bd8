import type { TKubernetesProfileSpec } from '@fulcrum/protocol';
import { expectStatus, httpJson } from './http-json';
import type { Instance, ScalingProvider } from './provider';

/** A kubernetes profile and its bearer token (the profile's write-only secret). */
export type KubernetesTarget = Omit<TKubernetesProfileSpec, 'kind' | 'parameters'> & { token?: string };

interface DeploymentBody {
  spec?: { replicas?: number };
  status?: { replicas?: number; readyReplicas?: number };
}

/**
 * A Deployment's replicas through the apps/v1 API: a JSON merge patch of `spec.replicas`, and its
 * status read back. Kubernetes chooses which pods go and its Service spreads traffic over them,
 * so instances are counted, not addressed.
 */
export class KubernetesProvider implements ScalingProvider {
  readonly kind = 'kubernetes';

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
