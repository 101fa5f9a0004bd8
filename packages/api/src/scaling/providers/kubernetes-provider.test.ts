import { describe, expect, it } from 'vitest';
import { json, startFakeApi } from './fake-api-server';
import { KubernetesProvider } from './kubernetes-provider';

describe('kubernetes provider against a local apps/v1 API', () => {
  it('merge-patches spec.replicas with the bearer token and reads the status back', async () => {
    let replicas = 2;
    const api = await startFakeApi((req, res) => {
      if (req.url !== '/apis/apps/v1/namespaces/shop/deployments/web') return json(res, 404, { kind: 'Status', message: 'deployments.apps "x" not found' });
      if (req.headers.authorization !== 'Bearer k8s-token') return json(res, 401, { kind: 'Status', message: 'Unauthorized' });
      if (req.method === 'PATCH') {
        if (req.headers['content-type'] !== 'application/merge-patch+json') return json(res, 415, { message: 'unsupported media type' });
        replicas = (JSON.parse(req.body) as { spec: { replicas: number } }).spec.replicas;
      }
      json(res, 200, { kind: 'Deployment', spec: { replicas }, status: { replicas, readyReplicas: replicas } });
    });
    try {
      const p = new KubernetesProvider({ apiUrl: api.url, namespace: 'shop', deployment: 'web', token: 'k8s-token', servicePort: 80 });
      expect(await p.list()).toHaveLength(2);
      expect(await p.replicas()).toEqual({ desired: 2, ready: 2 });
      expect(await p.scaleTo(5)).toHaveLength(5);
      const patch = api.requests.find((r) => r.method === 'PATCH')!;
      expect(JSON.parse(patch.body)).toEqual({ spec: { replicas: 5 } });
      expect(replicas).toBe(5);

      const wrong = new KubernetesProvider({ apiUrl: api.url, namespace: 'shop', deployment: 'web', token: 'stale', servicePort: 80 });
      await expect(wrong.scaleTo(1)).rejects.toThrow(/401.*Unauthorized/);
      expect(replicas).toBe(5);
    } finally {
      await api.close();
    }
  });
});
