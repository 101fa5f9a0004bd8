import { describe, expect, it } from 'vitest';
import { DockerProvider } from './docker-provider';
import { json, startFakeApi } from './fake-api-server';
import { KubernetesProvider } from './kubernetes-provider';
import { WEBHOOK_SIGNATURE_HEADER, WebhookProvider, signWebhook } from './webhook-provider';

// No Docker engine or cluster runs here: each API is a real HTTP server speaking the documented JSON.
describe('cpu_percent from the providers’ APIs', () => {
  it('docker: averages GET /containers/{id}/stats?stream=false over the rule’s containers', async () => {
    const usage: Record<string, number> = { c1: 900_000, c2: 100_000 };
    const engine = await startFakeApi((req, res) => {
      const u = new URL(req.url, 'http://docker');
      if (u.pathname === '/v1.43/containers/json')
        return json(res, 200, [
          { Id: 'c1', Created: 1, State: 'running' },
          { Id: 'c2', Created: 2, State: 'running' },
        ]);
      const inspect = /^\/v1.43\/containers\/(c\d)\/json$/.exec(u.pathname);
      if (inspect) return json(res, 200, { Id: inspect[1], NetworkSettings: { Ports: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '32001' }] } } });
      const stats = /^\/v1.43\/containers\/(c\d)\/stats$/.exec(u.pathname);
      if (stats && u.searchParams.get('stream') === 'false') {
        // 2 CPUs; the host's CPU time moved by 1 000 000 between the Engine's two samples.
        return json(res, 200, {
          cpu_stats: { cpu_usage: { total_usage: 5_000_000 + usage[stats[1]!]! }, system_cpu_usage: 11_000_000, online_cpus: 2 },
          precpu_stats: { cpu_usage: { total_usage: 5_000_000 }, system_cpu_usage: 10_000_000 },
        });
      }
      json(res, 404, { message: `unknown ${req.method} ${u.pathname}${u.search}` });
    });
    try {
      const p = new DockerProvider({ baseUrl: engine.url, image: 'shop:1', containerPort: 8080 }, { pool: 'web', rule: 'cpu' });
      // c1: 0.9 of the host's time × 2 CPUs = 180 %; c2: 20 % → 100 % on average.
      expect(await p.cpuPercent()).toBeCloseTo(100);
      expect(engine.requests.filter((r) => r.url.includes('/stats?stream=false'))).toHaveLength(2);
    } finally {
      await engine.close();
    }
  });

  it('kubernetes: pod usage from metrics.k8s.io against the pod template’s CPU requests, found by the Deployment’s selector', async () => {
    const api = await startFakeApi((req, res) => {
      if (req.headers.authorization !== 'Bearer tok') return json(res, 401, { kind: 'Status', message: 'Unauthorized' });
      const u = new URL(req.url, 'http://k8s');
      if (u.pathname === '/apis/apps/v1/namespaces/shop/deployments/web') {
        return json(res, 200, {
          kind: 'Deployment',
          spec: {
            replicas: 2,
            selector: { matchLabels: { app: 'web', tier: 'front' } },
            template: { spec: { containers: [{ resources: { requests: { cpu: '200m' } } }, { resources: { requests: { cpu: '300m' } } }] } },
          },
          status: { readyReplicas: 2 },
        });
      }
      if (u.pathname === '/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods' && u.searchParams.get('labelSelector') === 'app=web,tier=front') {
        return json(res, 200, {
          kind: 'PodMetricsList',
          items: [
            {
              metadata: { name: 'web-1' },
              containers: [
                { name: 'app', usage: { cpu: '400m', memory: '10Mi' } },
                { name: 'side', usage: { cpu: '100000000n' } },
              ],
            },
            {
              metadata: { name: 'web-2' },
              containers: [
                { name: 'app', usage: { cpu: '50m' } },
                { name: 'side', usage: { cpu: '0' } },
              ],
            },
          ],
        });
      }
      json(res, 404, { kind: 'Status', message: `not found: ${u.pathname}${u.search}` });
    });
    try {
      const p = new KubernetesProvider({ apiUrl: api.url, namespace: 'shop', deployment: 'web', servicePort: 80, token: 'tok' });
      // web-1: 0.5 of 0.5 requested = 100 %; web-2: 0.05 of 0.5 = 10 % → 55 %.
      expect(await p.cpuPercent()).toBeCloseTo(55);
      const noMetrics = new KubernetesProvider({ apiUrl: api.url, namespace: 'shop', deployment: 'web', servicePort: 80, token: 'wrong' });
      await expect(noMetrics.cpuPercent()).rejects.toThrow(/401/);
    } finally {
      await api.close();
    }
  });

  it('webhook: the receiver answers {"cpu_percent": n} to a signed metrics call, and a malformed answer is refused', async () => {
    let answer: unknown = { cpu_percent: 85.5 };
    const hook = await startFakeApi((_req, res) => json(res, 200, answer));
    try {
      const p = new WebhookProvider({ url: hook.url, secret: 'k' }, { pool: 'web', rule: 'cpu' });
      expect(await p.cpuPercent()).toBe(85.5);
      const sent = hook.requests[0]!;
      expect(JSON.parse(sent.body)).toEqual({ pool: 'web', rule: 'cpu', type: 'metrics', metric: 'cpu_percent', current: 0 });
      expect(sent.headers[WEBHOOK_SIGNATURE_HEADER]).toBe(signWebhook('k', sent.body));
      answer = { cpu_percent: '85' };
      await expect(p.cpuPercent()).rejects.toThrow(/no cpu_percent/);
      answer = { cpu_percent: null };
      expect(await p.cpuPercent()).toBeNull();
    } finally {
      await hook.close();
    }
  });
});
