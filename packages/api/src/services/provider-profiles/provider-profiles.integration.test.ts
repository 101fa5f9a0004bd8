import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, stopTestServer } from '@fulcrum/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { json, startFakeApi } from '../../scaling/providers/fake-api-server';
import { WEBHOOK_SIGNATURE_HEADER, signWebhook } from '../../scaling/providers/webhook-provider';
import { startScalingSystem } from '../../scaling/scaling-harness';
import { BACKEND_SCRIPT, FULCRUMCTL, type SystemHarness, callAs, eventually } from '../deploys/system-harness';
import { createApiToken } from '../tokens/api-tokens';

let sys: SystemHarness;
const tokens = { admin: '', operator: '', viewer: '' };
const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-profiles-'));
/** The file the old exploit wrote through `sh -c`: it must never appear. */
const marker = path.join(dir, 'pwned');
const HOOK_SECRET = 'hook-secret-5f1c9a';

beforeAll(async () => {
  sys = await startScalingSystem(300);
  tokens.operator = sys.operatorToken;
  tokens.admin = (await createApiToken(sys.db.prisma, { name: 'admin', role: 'admin' })).token;
  tokens.viewer = (await createApiToken(sys.db.prisma, { name: 'viewer', role: 'viewer' })).token;
  const listenPort = await freePort();
  const pool = await as('operator', 'POST', '/pools', { name: 'web', listenHost: '127.0.0.1', listenPort, healthCheck: { path: '/health', intervalMs: 200, rise: 1 } });
  expect(pool.status).toBe(200);
});

afterAll(async () => {
  await sys?.close();
  await stopTestServer();
  rmSync(dir, { recursive: true, force: true });
});

const as = (who: keyof typeof tokens | 'nobody', method: string, p: string, body?: unknown) => callAs(sys.api, who === 'nobody' ? undefined : tokens[who], method, p, body);

const ruleBase = { metric: 'rps_per_backend', scaleUpThreshold: 1000, scaleDownThreshold: 0, windowMs: 1000, cooldownMs: 0, minInstances: 1, maxInstances: 1 };

async function processProfile() {
  const portStart = await freePort();
  return {
    name: 'node-app',
    description: 'the web app, one process per port',
    spec: {
      kind: 'process',
      argv: [process.execPath, '-e', BACKEND_SCRIPT, '{port}', 'v{version}', 'ok'],
      portRangeStart: portStart,
      portRangeEnd: portStart + 30,
      parameters: [{ name: 'version', type: 'string', pattern: '[0-9]+\\.[0-9]+', description: 'release to run' }],
    },
  };
}

describe('provider profiles', () => {
  it('are declared by admins only; operators and viewers read them, nobody reads the secret', async () => {
    const hook = { name: 'hook', spec: { kind: 'webhook', url: 'http://127.0.0.1:9/scale' }, secret: HOOK_SECRET };
    const doc = (await as('nobody', 'GET', '/openapi.json')).json as { paths: Record<string, Record<string, unknown>> };
    expect(Object.keys(doc.paths['/provider-profiles'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/provider-profiles/{id}'] ?? {}).sort()).toEqual(['delete', 'get', 'put']);
    expect((await as('nobody', 'GET', '/provider-profiles')).status).toBe(401);
    expect((await as('operator', 'POST', '/provider-profiles', hook)).status).toBe(403);
    expect((await as('viewer', 'POST', '/provider-profiles', hook)).status).toBe(403);
    const created = await as('admin', 'POST', '/provider-profiles', hook);
    expect(created.status).toBe(200);
    expect(created.json).toMatchObject({ name: 'hook', kind: 'webhook', hasSecret: true, version: 1 });
    expect(created.text).not.toContain(HOOK_SECRET);

    for (const who of ['admin', 'operator', 'viewer'] as const) {
      const list = await as(who, 'GET', '/provider-profiles');
      expect(list.status).toBe(200);
      expect(list.json.map((p: { name: string }) => p.name)).toContain('hook');
      expect(list.text).not.toContain(HOOK_SECRET);
      const one = await as(who, 'GET', '/provider-profiles/hook');
      expect(one.status).toBe(200);
      expect(one.text).not.toContain(HOOK_SECRET);
    }
    const id = created.json.id as string;
    const replace = { expectedVersion: 1, name: 'hook', spec: hook.spec };
    expect((await as('operator', 'PUT', `/provider-profiles/${id}`, replace)).status).toBe(403);
    expect((await as('operator', 'DELETE', `/provider-profiles/${id}?expectedVersion=1`)).status).toBe(403);
    // Left out, the secret is kept; the version moves on.
    const kept = await as('admin', 'PUT', `/provider-profiles/${id}`, replace);
    expect(kept.status).toBe(200);
    expect(kept.json).toMatchObject({ hasSecret: true, version: 2 });
    const stale = await as('admin', 'PUT', `/provider-profiles/${id}`, replace);
    expect(stale.status).toBe(409);

    // A secret where nothing uses one, or a template naming an undeclared placeholder, is refused by field.
    const bad = await as('admin', 'POST', '/provider-profiles', { ...(await processProfile()), secret: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.json.data.fieldErrors).toHaveProperty('secret');
    const undeclared = await processProfile();
    undeclared.spec.argv = [process.execPath, '{script}', '{port}'];
    const refused = await as('admin', 'POST', '/provider-profiles', undeclared);
    expect(refused.status).toBe(400);
    expect(refused.json.data.fieldErrors['spec.argv.1']?.[0]).toMatch(/\{script\} is neither a declared parameter/);
    const noPort = await processProfile();
    noPort.spec.argv = [process.execPath, '-e', '1'];
    expect((await as('admin', 'POST', '/provider-profiles', noPort)).json.data.fieldErrors['spec.argv']?.[0]).toMatch(/\{port\}/);
  });

  it('an operator token cannot make the control plane run a command of its choosing', async () => {
    const portStart = await freePort();
    const exploit = `touch ${marker}; node -e 0 {port}`;
    const attempts = [
      // The old inline provider: a shell command run on the control-plane host.
      { name: 'x1', ...ruleBase, provider: { kind: 'process', command: exploit, portRangeStart: portStart, portRangeEnd: portStart + 5 } },
      // A profile plus a command of its own beside it.
      { name: 'x2', ...ruleBase, provider: { profile: 'node-app', params: { version: '1.2' }, command: exploit } },
      // Shell syntax in a declared parameter: refused by its pattern (and it would be one argv element anyway).
      { name: 'x3', ...ruleBase, provider: { profile: 'node-app', params: { version: `1.2; touch ${marker}` } } },
      // A parameter the profile does not declare.
      { name: 'x4', ...ruleBase, provider: { profile: 'node-app', params: { version: '1.2', argv: '/bin/sh' } } },
    ];
    // Operators cannot declare a profile of their own either.
    const own = { name: 'mine', spec: { kind: 'process', argv: ['/bin/sh', '-c', `touch ${marker}`, '{port}'], portRangeStart: portStart, portRangeEnd: portStart + 5 } };
    expect((await as('operator', 'POST', '/provider-profiles', own)).status).toBe(403);
    expect((await as('admin', 'POST', '/provider-profiles', await processProfile())).status).toBe(200);
    const answers = [];
    for (const rule of attempts) answers.push(await as('operator', 'POST', '/pools/web/scaling-rules', { rule }));
    expect(answers.map((a) => a.status)).toEqual([400, 400, 400, 400]);
    expect(Object.keys(answers[2]!.json.data.fieldErrors)).toEqual(['rule.provider.params.version']);
    expect(answers[2]!.json.message).toMatch(/^rule\.provider\.params\.version: version must match/);
    expect(Object.keys(answers[3]!.json.data.fieldErrors)).toEqual(['rule.provider.params.argv']);

    // The legitimate use: the operator picks the admin's profile and a version. The evaluator runs it
    // (so it was running all along), and the exploit's file is still not there.
    const ok = await as('operator', 'POST', '/pools/web/scaling-rules', { rule: { name: 'app', ...ruleBase, provider: { profile: 'node-app', params: { version: '1.2' } } } });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ profile: { name: 'node-app', kind: 'process' }, config: { provider: { params: { version: '1.2' } } }, legacyProvider: null });
    const backend = await eventually(async () => ((await as('viewer', 'GET', '/pools/web/backends')).json as { host: string; port: number }[])[0], 120_000, 'the profile’s instance as a backend');
    expect(await (await fetch(`http://${backend.host}:${backend.port}/`)).text()).toBe('v1.2');
    expect(existsSync(marker)).toBe(false);
    expect((await sys.db.prisma.scalingRule.findMany()).map((r) => r.name)).toEqual(['app']);
  });

  it('an operator cannot point docker, kubernetes or webhook at a target of its choosing', async () => {
    const target = await startFakeApi((_req, res) => json(res, 200, {}));
    const elsewhere = await startFakeApi((_req, res) => json(res, 200, {}));
    try {
      const profile = await as('admin', 'PUT', `/provider-profiles/${(await as('admin', 'GET', '/provider-profiles/hook')).json.id}`, {
        expectedVersion: 2,
        name: 'hook',
        spec: { kind: 'webhook', url: `${target.url}/scale`, parameters: [{ name: 'tier', type: 'string', pattern: 'gold|silver' }] },
      });
      expect(profile.status).toBe(200);
      const sock = path.join(dir, 'evil.sock');
      const attempts = [
        { kind: 'webhook', url: `${elsewhere.url}/x` },
        { kind: 'kubernetes', apiUrl: elsewhere.url, deployment: 'web', servicePort: 80 },
        { kind: 'docker', socketPath: sock, image: 'evil', containerPort: 80 },
        { kind: 'docker', baseUrl: elsewhere.url, image: 'evil', containerPort: 80 },
        { profile: 'hook', params: { tier: 'gold' }, url: `${elsewhere.url}/x` },
        { profile: 'hook', params: { tier: 'gold', url: `${elsewhere.url}/x` } },
        { profile: 'hook', params: { tier: `gold@${elsewhere.url}` } },
      ];
      for (const [i, provider] of attempts.entries()) {
        const res = await as('operator', 'POST', '/pools/web/scaling-rules', { rule: { name: `t${i}`, ...ruleBase, provider } });
        expect(res.status, JSON.stringify(provider)).toBe(400);
      }

      const ok = await as('operator', 'POST', '/pools/web/scaling-rules', { rule: { name: 'hooked', ...ruleBase, provider: { profile: 'hook', params: { tier: 'gold' } } } });
      expect(ok.status).toBe(200);
      const call = await eventually(() => target.requests[0], 120_000, 'the profile’s webhook called');
      expect(JSON.parse(call.body)).toEqual({ pool: 'web', rule: 'hooked', desired: 1, current: 0, params: { tier: 'gold' } });
      // The secret the admin stored at first (kept through both replacements) signs the call.
      expect(call.headers[WEBHOOK_SIGNATURE_HEADER]).toBe(signWebhook(HOOK_SECRET, call.body));
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await Promise.all([target.close(), elsewhere.close()]);
    }
  });

  it('a profile in use cannot be deleted, nor changed so that its rules no longer fit', async () => {
    const app = (await as('viewer', 'GET', '/provider-profiles/node-app')).json;
    expect(app.usedBy).toBe(1);
    const del = await as('admin', 'DELETE', `/provider-profiles/${app.id}?expectedVersion=${app.version}`);
    expect(del.status).toBe(409);
    expect(del.json.message).toMatch(/used by scaling rule\(s\) web\/app/);
    const narrowed = { ...app.spec, parameters: [{ name: 'version', type: 'string', pattern: '2\\.[0-9]+' }] };
    const change = await as('admin', 'PUT', `/provider-profiles/${app.id}`, { expectedVersion: app.version, name: app.name, spec: narrowed });
    expect(change.status).toBe(400);
    expect(change.json.message).toMatch(/web\/app .* version must match/);
    expect((await as('viewer', 'GET', '/provider-profiles/node-app')).json.version).toBe(app.version);

    // Unused, it goes.
    const spare = await as('admin', 'POST', '/provider-profiles', {
      name: 'spare',
      spec: { kind: 'kubernetes', apiUrl: 'https://k8s.internal:6443', deployment: 'web', servicePort: 80 },
      secret: 'tok',
    });
    expect(spare.status).toBe(200);
    expect((await as('admin', 'DELETE', `/provider-profiles/${spare.json.id}?expectedVersion=1`)).status).toBe(200);
  });

  it('a rule from before profiles is listed with what it ran (never its secret), never runs, and runs again once it picks a profile', async () => {
    const pool = await sys.db.prisma.pool.findFirstOrThrow({ where: { name: 'web' } });
    // As the migration leaves it: disabled, no profile, the old inline provider moved aside.
    const legacy = await sys.db.prisma.scalingRule.create({
      data: {
        poolId: pool.id,
        name: 'old-hook',
        enabled: false,
        metric: 'rps_per_backend',
        config: { name: 'old-hook', enabled: false, ...ruleBase },
        legacyProvider: { kind: 'webhook', url: 'http://127.0.0.1:9/old', secret: 'legacy-secret-31' },
      },
    });
    const listed = await as('viewer', 'GET', '/pools/web/scaling-rules');
    const row = (listed.json as { name: string }[]).find((r) => r.name === 'old-hook');
    expect(row).toMatchObject({ enabled: false, profile: null, config: { provider: null }, legacyProvider: { kind: 'webhook', target: 'http://127.0.0.1:9/old' } });
    expect(listed.text).not.toContain('legacy-secret-31');
    // Switching it on needs a profile: the database refuses it even behind the API's back.
    await expect(sys.db.prisma.scalingRule.update({ where: { id: legacy.id }, data: { enabled: true } })).rejects.toThrow();

    const picked = await as('operator', 'PUT', `/scaling-rules/${legacy.id}`, {
      expectedVersion: legacy.version,
      rule: { name: 'old-hook', ...ruleBase, provider: { profile: 'hook', params: { tier: 'silver' } } },
    });
    expect(picked.status).toBe(200);
    expect(picked.json).toMatchObject({ enabled: true, profile: { name: 'hook' }, legacyProvider: null, config: { provider: { params: { tier: 'silver' } } } });
    expect((await as('operator', 'DELETE', `/scaling-rules/${legacy.id}?expectedVersion=${picked.json.version}`)).status).toBe(200);
  });

  it('fulcrumctl profiles: admins create, update and delete from a file; operators list without the secret and cannot write', async () => {
    const file = path.join(dir, 'cluster.json');
    writeFileSync(
      file,
      JSON.stringify({ name: 'cluster', spec: { kind: 'kubernetes', apiUrl: 'https://k8s.internal:6443', namespace: 'shop', deployment: 'web', servicePort: 80 }, secret: 'k8s-token-77' }),
    );
    const ctl = (who: keyof typeof tokens, ...args: string[]) => sys.run([FULCRUMCTL, ...args], { FULCRUM_URL: sys.url, FULCRUM_TOKEN: tokens[who] });

    const denied = await ctl('operator', 'profiles', 'create', '--file', file);
    expect(denied.code).toBe(1);
    expect(denied.stderr).toMatch(/this needs the admin role; you have operator \(HTTP 403\)/);
    const created = await ctl('admin', 'profiles', 'create', '--file', file);
    expect(created.stderr).toBe('');
    expect(created.stdout).toMatch(/^added provider profile cluster \(kubernetes, id \S+\)/);

    const listed = await ctl('operator', 'profiles', 'list');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/cluster\s+kubernetes\s+https:\/\/k8s\.internal:6443 shop\/web\s+set/);
    const json = await ctl('viewer', '--json', 'profiles', 'show', 'cluster');
    expect(JSON.parse(json.stdout)).toMatchObject({ name: 'cluster', hasSecret: true, spec: { deployment: 'web' } });
    expect(json.stdout + listed.stdout).not.toContain('k8s-token-77');

    // Replaced without a secret in the file: the stored one stays.
    writeFileSync(file, JSON.stringify({ name: 'cluster', spec: { kind: 'kubernetes', apiUrl: 'https://k8s.internal:6443', namespace: 'shop', deployment: 'api', servicePort: 80 } }));
    expect((await ctl('operator', 'profiles', 'update', 'cluster', '--file', file)).code).toBe(1);
    const updated = await ctl('admin', 'profiles', 'update', 'cluster', '--file', file);
    expect(updated.stdout).toMatch(/saved provider profile cluster \(version 2\)/);
    expect((await as('viewer', 'GET', '/provider-profiles/cluster')).json).toMatchObject({ hasSecret: true, spec: { deployment: 'api' } });
    expect((await ctl('operator', 'profiles', 'delete', 'cluster')).code).toBe(1);
    expect((await ctl('admin', 'profiles', 'delete', 'cluster')).stdout).toMatch(/deleted provider profile cluster/);
    expect((await as('viewer', 'GET', '/provider-profiles/cluster')).status).toBe(404);
    // Each fulcrumctl run starts node with tsx: seconds apiece on a busy machine. This only bounds a hang.
  }, 300_000);
});
