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

export function signWebhook(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * POSTs `{ pool, rule, desired, current[, params] }` to the profile's URL and lets the receiver act (a CI job, a cloud
 * autoscaling group…). With a secret, the body's HMAC-SHA256 goes in `X-Fulcrum-Signature`.
 */
export class WebhookProvider implements ScalingProvider {
  readonly kind = 'webhook';
  private known: Instance[] = [];

  constructor(
    private readonly config: WebhookTarget,
    private readonly scope: ProviderScope,
  ) {}

  async list(): Promise<Instance[]> {
    return this.known;
  }

  async scaleTo(desired: number): Promise<Instance[]> {
    const params = this.config.params && Object.keys(this.config.params).length ? { params: this.config.params } : {};
    const body = JSON.stringify({ pool: this.scope.pool, rule: this.scope.rule, desired, current: this.known.length, ...params });
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'fulcrum-autoscaler' };
    if (this.config.secret) headers[WEBHOOK_SIGNATURE_HEADER] = signWebhook(this.config.secret, body);
    const res = await httpJson({ method: 'POST', url: this.config.url, headers, body });
    expectStatus(res, [200, 201, 202, 204], `scaling webhook ${this.config.url}`);
    const answer = ZWebhookAnswer.safeParse(res.json ?? {});
    this.known =
      answer.success && answer.data.instances
        ? answer.data.instances.map((i) => ({ id: i.id ?? `${i.host}:${i.port}`, host: i.host, port: i.port }))
        : Array.from({ length: desired }, (_, i) => ({ id: `webhook-${i}` }));
    return this.known;
  }
}
