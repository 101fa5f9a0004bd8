import { describe, expect, it } from 'vitest';
import { json, startFakeApi } from './fake-api-server';
import { WEBHOOK_SIGNATURE_HEADER, WebhookProvider, signWebhook } from './webhook-provider';

describe('webhook provider', () => {
  it('POSTs pool, desired and current with an HMAC signature, and takes the instances it is told', async () => {
    const hook = await startFakeApi((req, res) => {
      const { desired } = JSON.parse(req.body) as { desired: number };
      json(res, 200, { instances: Array.from({ length: desired }, (_, i) => ({ host: '10.0.0.1', port: 9000 + i })) });
    });
    try {
      const p = new WebhookProvider({ url: `${hook.url}/scale`, secret: 's3cret' }, { pool: 'web', rule: 'rps' });
      expect(await p.scaleTo(2)).toEqual([
        { id: '10.0.0.1:9000', host: '10.0.0.1', port: 9000 },
        { id: '10.0.0.1:9001', host: '10.0.0.1', port: 9001 },
      ]);
      await p.scaleTo(1);
      const [first, second] = hook.requests;
      expect(first!.method).toBe('POST');
      expect(first!.url).toBe('/scale');
      expect(JSON.parse(first!.body)).toEqual({ pool: 'web', rule: 'rps', desired: 2, current: 0 });
      expect(JSON.parse(second!.body)).toEqual({ pool: 'web', rule: 'rps', desired: 1, current: 2 });
      expect(first!.headers[WEBHOOK_SIGNATURE_HEADER]).toBe(signWebhook('s3cret', first!.body));
      expect(first!.headers[WEBHOOK_SIGNATURE_HEADER]).toMatch(/^sha256=[0-9a-f]{64}$/);
    } finally {
      await hook.close();
    }
  });

  it('sends no signature without a secret and fails on a non-2xx answer', async () => {
    const hook = await startFakeApi((_req, res) => json(res, 503, { message: 'busy' }));
    try {
      const p = new WebhookProvider({ url: hook.url }, { pool: 'web', rule: 'rps' });
      await expect(p.scaleTo(3)).rejects.toThrow(/503: busy/);
      expect(hook.requests[0]!.headers[WEBHOOK_SIGNATURE_HEADER]).toBeUndefined();
    } finally {
      await hook.close();
    }
  });
});
