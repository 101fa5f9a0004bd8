import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerProvider } from './docker-provider';
import { json, startFakeApi } from './fake-api-server';

/** Just enough of the Docker Engine API v1.43 to hold containers in memory. */
function fakeEngine() {
  const containers = new Map<string, { Id: string; Created: number; State: string; Labels: Record<string, string>; hostPort: number }>();
  let next = 1;
  return (req: { method: string; url: string; body: string }, res: Parameters<Parameters<typeof startFakeApi>[0]>[1]) => {
    const u = new URL(req.url, 'http://docker');
    let m: RegExpExecArray | null;
    if (!u.pathname.startsWith('/v1.43/')) return json(res, 400, { message: 'client version missing' });
    const p = u.pathname.slice('/v1.43'.length);
    if (req.method === 'POST' && p === '/containers/create') {
      const body = JSON.parse(req.body) as { Image: string; Labels: Record<string, string> };
      if (!body.Image) return json(res, 400, { message: 'no image' });
      const id = `c${next++}`;
      containers.set(id, { Id: id, Created: next, State: 'created', Labels: body.Labels, hostPort: 32000 + next });
      return json(res, 201, { Id: id, Warnings: [] });
    }
    if (req.method === 'GET' && p === '/containers/json') {
      const filters = JSON.parse(u.searchParams.get('filters') ?? '{}') as { label?: string[] };
      const list = [...containers.values()].filter((c) => (filters.label ?? []).every((l) => c.Labels[l.split('=')[0]!] === l.split('=')[1]));
      return json(res, 200, list);
    }
    if ((m = /^\/containers\/(\w+)\/start$/.exec(p)) && req.method === 'POST') {
      const c = containers.get(m[1]!);
      if (!c) return json(res, 404, { message: 'no such container' });
      c.State = 'running';
      return json(res, 204);
    }
    if ((m = /^\/containers\/(\w+)\/json$/.exec(p)) && req.method === 'GET') {
      const c = containers.get(m[1]!);
      if (!c) return json(res, 404, { message: 'no such container' });
      return json(res, 200, { Id: c.Id, NetworkSettings: { Ports: { '8080/tcp': c.State === 'running' ? [{ HostIp: '127.0.0.1', HostPort: String(c.hostPort) }] : null } } });
    }
    if ((m = /^\/containers\/(\w+)\/stop$/.exec(p)) && req.method === 'POST') {
      const c = containers.get(m[1]!);
      if (!c) return json(res, 404, { message: 'no such container' });
      c.State = 'exited';
      return json(res, 204);
    }
    if ((m = /^\/containers\/(\w+)$/.exec(p)) && req.method === 'DELETE') {
      return json(res, containers.delete(m[1]!) ? 204 : 404);
    }
    json(res, 404, { message: `unknown ${req.method} ${p}` });
  };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-docker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docker provider against a local Engine API', () => {
  it('creates, starts, lists and removes labelled containers over the unix socket', async () => {
    const socketPath = path.join(dir, 'docker.sock');
    const engine = await startFakeApi(fakeEngine(), socketPath);
    try {
      const p = new DockerProvider({ socketPath, image: 'ghcr.io/acme/web:1.2', containerPort: 8080 }, { pool: 'web', rule: 'latency' });

      const up = await p.scaleTo(2);
      expect(up).toHaveLength(2);
      expect(up[0]).toMatchObject({ host: '127.0.0.1', port: expect.any(Number) });
      const create = engine.requests.find((r) => r.url === '/v1.43/containers/create')!;
      expect(create.method).toBe('POST');
      expect(create.headers['content-type']).toBe('application/json');
      expect(JSON.parse(create.body)).toMatchObject({
        Image: 'ghcr.io/acme/web:1.2',
        Labels: { 'fulcrum.pool': 'web', 'fulcrum.rule': 'latency' },
        ExposedPorts: { '8080/tcp': {} },
        HostConfig: { PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } },
      });
      expect(engine.requests.filter((r) => r.method === 'POST' && /\/containers\/c\d+\/start$/.test(r.url))).toHaveLength(2);

      const down = await p.scaleTo(1, { remove: [up[0]!.id] });
      expect(down.map((i) => i.id)).toEqual([up[1]!.id]);
      expect(engine.requests.some((r) => r.method === 'POST' && r.url === `/v1.43/containers/${up[0]!.id}/stop?t=10`)).toBe(true);
      expect(engine.requests.some((r) => r.method === 'DELETE' && r.url === `/v1.43/containers/${up[0]!.id}?force=true`)).toBe(true);
      const listCall = engine.requests.find((r) => r.url.startsWith('/v1.43/containers/json'))!;
      expect(JSON.parse(new URL(listCall.url, 'http://x').searchParams.get('filters')!)).toMatchObject({ label: ['fulcrum.pool=web', 'fulcrum.rule=latency'] });
    } finally {
      await engine.close();
    }
  });

  it('reports the engine message when it refuses, via a base URL', async () => {
    const engine = await startFakeApi((_req, res) => json(res, 404, { message: 'No such image: nope:latest' }));
    try {
      const p = new DockerProvider({ baseUrl: engine.url, image: 'nope', containerPort: 80 }, { pool: 'web', rule: 'r' });
      await expect(p.scaleTo(1)).rejects.toThrow(/No such image/);
    } finally {
      await engine.close();
    }
  });
});
