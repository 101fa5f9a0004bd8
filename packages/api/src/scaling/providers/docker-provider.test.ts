import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerProvider, labelledOwners } from './docker-provider';
import { json, startFakeApi } from './fake-api-server';
import { fakeEngine } from './fake-docker-engine';

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

  it('labels containers with their owner by id, finds them by it after a rename, and finds those labelled by names alone', async () => {
    const engine = await startFakeApi(fakeEngine());
    try {
      const target = { baseUrl: engine.url, image: 'ghcr.io/acme/web:1.2', containerPort: 8080 };
      const ids = { ruleId: 'r1', poolId: 'p1', database: 'db1' };
      // Created before labels named the owner by id: found by the names, as long as they hold.
      const [legacy] = await new DockerProvider(target, { pool: 'web', rule: 'latency' }).scaleTo(1);
      const p = new DockerProvider(target, { pool: 'web', rule: 'latency', ...ids });
      const up = await p.scaleTo(2);
      expect(up.map((i) => i.id)[0]).toBe(legacy!.id);
      const created = engine.requests.filter((r) => r.url === '/v1.43/containers/create').map((r) => JSON.parse(r.body).Labels);
      expect(created.at(-1)).toEqual({ 'fulcrum.pool': 'web', 'fulcrum.rule': 'latency', 'fulcrum.rule-id': 'r1', 'fulcrum.pool-id': 'p1', 'fulcrum.database': 'db1' });

      const renamed = new DockerProvider(target, { pool: 'www', rule: 'p95', ...ids });
      expect((await renamed.list()).map((i) => i.id)).toEqual([up[1]!.id]);
      expect(await new DockerProvider(target, { pool: 'web', rule: 'latency', ...ids, database: 'db2' }).list()).toEqual([legacy]);

      // A control plane that starts after the rule went: the owner from the labels, a provider that stops but starts nothing.
      const owners = await labelledOwners({ baseUrl: engine.url }, 'db1');
      expect(owners).toEqual([{ database: 'db1', ruleId: 'r1', rule: 'latency', poolId: 'p1', pool: 'web' }]);
      const gone = DockerProvider.ofLabels({ baseUrl: engine.url }, owners[0]!);
      expect(await gone.list()).toEqual([up[1]]);
      await expect(gone.scaleTo(2)).rejects.toThrow(/no more started/);
      expect(await gone.scaleTo(0)).toEqual([]);
      expect(await renamed.list()).toEqual([]);
      expect(await new DockerProvider(target, { pool: 'web', rule: 'latency' }).list()).toEqual([legacy]);
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
