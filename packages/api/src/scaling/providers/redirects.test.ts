import { describe, expect, it } from 'vitest';
import { DockerProvider } from './docker-provider';
import { json, startFakeApi } from './fake-api-server';
import { KubernetesProvider } from './kubernetes-provider';
import { WebhookProvider } from './webhook-provider';

/**
 * A profile's target that answers 302 to another local server must not bounce the control plane
 * there (server-side request forgery by redirect): the call fails with the 302 and the second
 * server never sees a request.
 */
async function withRedirect(run: (targetUrl: string) => Promise<unknown>) {
  const elsewhere = await startFakeApi((_req, res) => json(res, 200, { instances: [], spec: { replicas: 1 }, status: { readyReplicas: 1 } }));
  const target = await startFakeApi((req, res) => {
    res.writeHead(302, { location: `${elsewhere.url}${req.url}` });
    res.end();
  });
  try {
    await expect(run(target.url)).rejects.toThrow(/HTTP 302/);
    expect(target.requests.length).toBeGreaterThan(0);
    expect(elsewhere.requests).toEqual([]);
  } finally {
    await Promise.all([target.close(), elsewhere.close()]);
  }
}

describe('provider calls go to the profile target only', () => {
  it('webhook: a 302 is not followed', async () => {
    await withRedirect((url) => new WebhookProvider({ url: `${url}/scale`, secret: 's' }, { pool: 'web', rule: 'r' }).scaleTo(2));
  });

  it('kubernetes: a 302 is not followed, and the token goes nowhere else', async () => {
    await withRedirect((url) => new KubernetesProvider({ apiUrl: url, namespace: 'shop', deployment: 'web', servicePort: 80, token: 'k8s-token' }).scaleTo(3));
  });

  it('docker over a base URL: a 302 is not followed', async () => {
    await withRedirect((url) => new DockerProvider({ baseUrl: url, image: 'web:1', containerPort: 80 }, { pool: 'web', rule: 'r' }).scaleTo(1));
  });
});
