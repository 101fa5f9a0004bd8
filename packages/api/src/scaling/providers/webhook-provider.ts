import { createHmac } from 'node:crypto';
import type { TWebhookProfileSpec } from '@fulcrum/protocol';
import { z } from 'zod';
import { expectStatus, httpJson } from './http-json';
import type { Instance, ProviderScope, ScalingProvider } from './provider';

/** A webhook profile's URL, its signing secret, and the rule's values for the declared parameters. */
export type WebhookTarget = Pick<TWebhookProfileSpec, 'url'> & { secret?: string; params?: Record<string, string> };

export const WEBHOOK_SIGNATURE_HEADER = 'x-fulcrum-signature';

/** A receiver may answer with the instances it now runs; then they join the pool as backends. */
const ZWebhookAnswer = z.object({
  instances: z.array(z.object({ id: z.string().optional(), host: z.string(), port: z.number().int().min(1).max(65535) })).optional(),
});

/** A receiver asked for the rule's metric answers `{ "cpu_percent": <number> }` (or null when it cannot tell). */
const ZWebhookMetrics = z.object({ cpu_percent: z.number().min(0).max(100_000).nullable() });

export function signWebhook(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * POSTs `{ pool, rule, desired, current[, params] }` to the profile's URL and lets the receiver act (a CI job, a cloud
 * autoscaling group…). With a secret, the body's HMAC-SHA256 goes in `X-Fulcrum-Signature`.
 */
export class WebhookProvider implements ScalingProvider {
  readonly kind = 'webhook';
  readonly ownsInstances = false;
  private known: Instance[] = [];

  constructor(
    private readonly config: WebhookTarget,
    private readonly scope: ProviderScope,
  ) {}

  async list(): Promise<Instance[]> {
    return this.known;
  }

  private post(fields: Record<string, unknown>) {
    const params = this.config.params && Object.keys(this.config.params).length ? { params: this.config.params } : {};
    const body = JSON.stringify({ pool: this.scope.pool, rule: this.scope.rule, ...fields, ...params });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'fulcrum-autoscaler' };
    if (this.config.secret) headers[WEBHOOK_SIGNATURE_HEADER] = signWebhook(this.config.secret, body);
    return httpJson({ method: 'POST', url: this.config.url, headers, body });
  }

  /**
   * The receiver is the one that knows its instances' CPU: each tick of a cpu_percent rule POSTs
   * `{ pool, rule, type: "metrics", metric: "cpu_percent", current }` (signed like a scale call) and
   * takes `{ "cpu_percent": n }` from the answer. Anything else is refused, never guessed.
   */
  async cpuPercent(): Promise<number | null> {
    const res = await this.post({ type: 'metrics', metric: 'cpu_percent', current: this.known.length });
    expectStatus(res, [200], `scaling webhook ${this.config.url} (metrics)`);
    const answer = ZWebhookMetrics.safeParse(res.json);
    if (!answer.success) throw new Error(`scaling webhook ${this.config.url} answered no cpu_percent: expected {"cpu_percent": number|null}`);
    return answer.data.cpu_percent;
  }

  async scaleTo(desired: number): Promise<Instance[]> {
    const res = await this.post({ desired, current: this.known.length });
    expectStatus(res, [200, 201, 202, 204], `scaling webhook ${this.config.url}`);
    const answer = ZWebhookAnswer.safeParse(res.json ?? {});
    this.known =
      answer.success && answer.data.instances
        ? answer.data.instances.map((i) => ({ id: i.id ?? `${i.host}:${i.port}`, host: i.host, port: i.port }))
        : Array.from({ length: desired }, (_, i) => ({ id: `webhook-${i}` }));
    return this.known;
  }
}
