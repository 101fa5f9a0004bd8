import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TImportPlan, TPoolExport } from '@fulcrum/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FULCRUMCTL } from '../services/deploys/system-harness';
import { useTestApi, startRestServer } from '../test-support';

const api = useTestApi();
let rest: Awaited<ReturnType<typeof startRestServer>>;
let base: string;
let operator: string;
let viewer: string;

beforeAll(async () => {
  rest = await startRestServer(api);
  base = rest.base;
  operator = await api.token('operator');
  viewer = await api.token('viewer');
});
afterAll(async () => {
  await rest.close();
});

const corpus = (name: string) => readFileSync(join(import.meta.dirname, '..', 'config-files', 'corpus', name), 'utf8');

function call(token: string, method: string, path: string, body?: unknown) {
  return fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
}

const revisionCount = () => api.db.prisma.configRevision.count();

describe('POST /api/v1/import and GET /api/v1/pools/{id}/export', () => {
  it("dry-runs the guide's HAProxy file (writing nothing), then applies it as one revision", async () => {
    const before = await revisionCount();
    const dry = await call(operator, 'POST', '/import', { format: 'haproxy', text: corpus('guide-haproxy.cfg'), fileName: 'haproxy.cfg' });
    expect(dry.status).toBe(200);
    const plan = (await dry.json()) as TImportPlan;
    expect(plan.applied).toBeNull();
    expect(plan.pools.map((p) => [p.name, p.action, p.config.listenPort])).toEqual([['http-back', 'create', 80]]);
    expect(plan.unsupported.map((u) => u.line)).toEqual([3, 4, 8, 26]);
    expect(await revisionCount()).toBe(before);
    expect(await api.db.prisma.pool.count({ where: { name: 'http-back' } })).toBe(0);

    const applied = await call(operator, 'POST', '/import', { format: 'haproxy', text: corpus('guide-haproxy.cfg'), apply: true, reason: 'moving off HAProxy' });
    expect(applied.status).toBe(200);
    const result = (await applied.json()) as TImportPlan;
    expect(await revisionCount()).toBe(before + 1);
    expect(result.applied?.revision).toBe((await api.db.prisma.configRevision.findFirstOrThrow({ orderBy: { version: 'desc' } })).version);
    const pool = await (await call(viewer, 'GET', '/pools/http-back')).json();
    expect(pool).toMatchObject({ algorithm: 'weighted_round_robin', listenPort: 80, stickiness: { mode: 'cookie', cookieName: 'SERVERID' }, healthCheck: { path: '/health' } });
    expect((pool as { backends: { host: string; weight: number }[] }).backends.map((b) => [b.host, b.weight])).toEqual([
      ['192.168.1.10', 3],
      ['192.168.1.11', 1],
      ['192.168.1.12', 1],
    ]);
    const revision = await api.db.prisma.configRevision.findFirstOrThrow({ orderBy: { version: 'desc' } });
    expect(revision.message).toBe('moving off HAProxy');
    expect(JSON.stringify(revision.snapshot)).toContain('192.168.1.12');
  });

  it('refuses an existing name unless replace, and replace swaps settings and backends in one revision', async () => {
    const text = 'upstream replace_me {\n  least_conn;\n  server 10.9.0.1:80;\n}\nserver { listen 18501; location / { proxy_pass http://replace_me; } }\n';
    expect((await call(operator, 'POST', '/import', { format: 'nginx', text, apply: true })).status).toBe(200);
    const before = await revisionCount();
    const again = await call(operator, 'POST', '/import', { format: 'nginx', text: text.replace('10.9.0.1', '10.9.0.2'), apply: true });
    expect(again.status).toBe(400);
    expect(JSON.stringify(await again.json())).toMatch(/line 1: a pool named replace-me exists; import with replace/);
    expect(await revisionCount()).toBe(before);

    const dry = (await (await call(operator, 'POST', '/import', { format: 'nginx', text: text.replace('10.9.0.1', '10.9.0.2') })).json()) as TImportPlan;
    expect(dry.errors.map((e) => e.line)).toEqual([1]);

    const { id, version } = await api.db.prisma.pool.findUniqueOrThrow({ where: { name: 'replace-me' } });
    const replaced = await call(operator, 'POST', '/import', { format: 'nginx', text: text.replace('10.9.0.1:80', '10.9.0.2:81').replace('least_conn;', 'ip_hash;'), apply: true, replace: true });
    expect(replaced.status).toBe(200);
    expect(((await replaced.json()) as TImportPlan).pools[0]!.action).toBe('replace');
    expect(await revisionCount()).toBe(before + 1);
    const row = await api.db.prisma.pool.findUniqueOrThrow({ where: { name: 'replace-me' }, include: { backends: true } });
    expect(row).toMatchObject({ id, version: version + 1, algorithm: 'ip_hash' });
    expect(row.backends.map((b) => `${b.host}:${b.port}`)).toEqual(['10.9.0.2:81']);
  });

  it('a replace keeps the backends scaling or a deploy manages, and says so in the plan', async () => {
    const text = 'upstream keep_managed {\n  server 10.9.1.1:80;\n}\nserver { listen 18503; location / { proxy_pass http://keep_managed; } }\n';
    expect((await call(operator, 'POST', '/import', { format: 'nginx', text, apply: true })).status).toBe(200);
    const pool = await api.db.prisma.pool.findUniqueOrThrow({ where: { name: 'keep-managed' } });
    await api.db.prisma.backend.createMany({
      data: [
        { poolId: pool.id, host: '10.9.1.50', port: 8000, managedBy: 'scaling:rule-1' },
        { poolId: pool.id, host: '10.9.1.51', port: 8000, managedBy: 'deploy:d-1' },
      ],
    });
    // The new file names one managed address itself: that one stays as scaling made it.
    const next = text.replace('server 10.9.1.1:80;', 'server 10.9.1.2:80;\n  server 10.9.1.50:8000 weight=5;');
    const plan = (await (await call(operator, 'POST', '/import', { format: 'nginx', text: next, replace: true })).json()) as TImportPlan;
    expect(plan.errors).toEqual([]);
    expect(plan.warnings.map((w) => w.message)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^keeps 2 backend\(s\) that scaling or a deploy manages \(10\.9\.1\.50:8000, 10\.9\.1\.51:8000\)/),
        '10.9.1.50:8000 is managed by scaling:rule-1; it stays as it is',
      ]),
    );
    expect((await call(operator, 'POST', '/import', { format: 'nginx', text: next, apply: true, replace: true })).status).toBe(200);
    const backends = await api.db.prisma.backend.findMany({ where: { poolId: pool.id }, orderBy: { host: 'asc' } });
    expect(backends.map((b) => [`${b.host}:${b.port}`, b.managedBy, b.weight])).toEqual([
      ['10.9.1.2:80', null, 1],
      ['10.9.1.50:8000', 'scaling:rule-1', 1],
      ['10.9.1.51:8000', 'deploy:d-1', 1],
    ]);
  });

  it('a port another pool holds blocks the apply, and nothing is written', async () => {
    await call(operator, 'POST', '/pools', { name: 'holder', listenPort: 18502 });
    const before = await revisionCount();
    const res = await call(operator, 'POST', '/import', {
      format: 'nginx',
      text: 'upstream a1 { server 10.0.0.1:80; }\nupstream b1 { server 10.0.0.2:80; }\nserver { listen 18502; location / { proxy_pass http://b1; } }',
      apply: true,
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/port 18502 is already used by pool holder/);
    expect(await revisionCount()).toBe(before);
    expect(await api.db.prisma.pool.count({ where: { name: { in: ['a1', 'b1'] } } })).toBe(0);
  });

  it('syntax errors are 400s naming the line, never 500s; bad input names the field', async () => {
    const cases: [unknown, RegExp][] = [
      [{ format: 'nginx', text: 'upstream a {\n  server 10.0.0.1:80;\n', fileName: 'site.conf' }, /\[emerg\] unexpected end of file, expecting \\"}\\" in site\.conf:3/],
      [{ format: 'haproxy', text: 'backend b\n  balance magic\n' }, /parsing \[haproxy\.cfg:2\] : 'balance' only supports/],
      [{ format: 'nginx', text: 'a {'.repeat(50_000) }, /nested deeper than 16 levels/],
      [{ format: 'apache', text: 'x' }, /format must be nginx or haproxy/],
      [{ format: 'nginx', text: '' }, /text is empty/],
      [{ format: 'nginx', text: 'x'.repeat(300_000) }, /text is longer than 262144 characters/],
      [{ format: 'nginx', text: 'upstream a { server 10.0.0.1:80; }', aply: true }, /aply/],
      [{ format: 'nginx', text: '# only a comment\n', apply: true }, /no upstream or backend to import/],
    ];
    for (const [body, message] of cases) {
      const res = await call(operator, 'POST', '/import', body);
      expect(res.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(await res.text()).toMatch(message);
    }
  });

  it('import needs the operator role; export is open to viewers', async () => {
    const text = 'upstream only_viewer { server 10.0.0.1:80; }';
    expect((await call(viewer, 'POST', '/import', { format: 'nginx', text })).status).toBe(403);
    expect((await fetch(`${base}/import`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ format: 'nginx', text }) })).status).toBe(401);

    const exported = await call(viewer, 'GET', '/pools/http-back/export?format=haproxy');
    expect(exported.status).toBe(200);
    const file = (await exported.json()) as TPoolExport;
    expect(file.fileName).toBe('http-back.cfg');
    expect(file.text).toMatch(/^backend http-back$/m);
    expect(file.text).toMatch(/cookie SERVERID insert indirect nocache/);
    const nginx = (await (await call(viewer, 'GET', '/pools/http-back/export?format=nginx')).json()) as TPoolExport;
    expect(nginx.text).toMatch(/upstream http_back \{/);
    expect((await call(viewer, 'GET', '/pools/http-back/export?format=apache')).status).toBe(400);
    expect((await call(viewer, 'GET', '/pools/nope/export?format=nginx')).status).toBe(404);
  });

  it('an exported pool imported under replace gives the same pool back', async () => {
    const before = await (await call(viewer, 'GET', '/pools/http-back')).json();
    const file = (await (await call(viewer, 'GET', '/pools/http-back/export?format=haproxy')).json()) as TPoolExport;
    const res = await call(operator, 'POST', '/import', { format: 'haproxy', text: file.text, apply: true, replace: true });
    expect(res.status).toBe(200);
    const after = await (await call(viewer, 'GET', '/pools/http-back')).json();
    const strip = (p: Record<string, unknown>) => {
      const { version, updatedAt, outlierDetection, backends, ...rest } = p;
      void version, updatedAt, outlierDetection;
      return { ...rest, backends: (backends as Record<string, unknown>[]).map(({ id, createdAt, updatedAt: u, ...b }) => (void id, void createdAt, void u, b)) };
    };
    expect(strip(after as Record<string, unknown>)).toEqual(strip(before as Record<string, unknown>));
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${base}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/import', '/pools/{id}/export']));
  });

  it('fulcrumctl import (format guessed from the file, dry run, --apply) and export', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fulcrumctl-import-'));
    const ctl = (token: string, ...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [FULCRUMCTL, ...args], { env: { ...process.env, FULCRUM_URL: base.replace(/\/api\/v1$/, ''), FULCRUM_TOKEN: token } }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
        );
      });
    try {
      const file = join(dir, 'nginx.conf');
      writeFileSync(file, corpus('guide-nginx.conf').replace('listen 80;', 'listen 18510;'));
      const dry = await ctl(operator, 'import', file);
      expect(dry.stderr).toBe('');
      expect(dry.code).toBe(0);
      expect(dry.stdout).toMatch(/^nginx\.conf \(nginx\): 1 pool$/m);
      expect(dry.stdout).toMatch(/\+ pool backend-servers from upstream backend_servers \(line 4\) — create/);
      expect(dry.stdout).toMatch(/line 5 +least_conn {2}→ {2}algorithm weighted_least_connections/);
      expect(dry.stdout).toMatch(/Not supported \(not imported\):\n {2}line 27 +location \/static\/: serving files/);
      expect(dry.stdout).toMatch(/Dry run: nothing changed/);
      expect(await api.db.prisma.pool.count({ where: { name: 'backend-servers' } })).toBe(0);

      expect((await ctl(viewer, 'import', file, '--apply')).stderr).toMatch(/this needs the operator role; you have viewer \(HTTP 403\)/);
      const applied = await ctl(operator, 'import', file, '--apply', '--reason', 'from nginx');
      expect(applied.code).toBe(0);
      expect(applied.stdout).toMatch(/Applied as revision \d+\./);
      const again = await ctl(operator, 'import', file, '--apply');
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/a pool named backend-servers exists; import with replace/);
      expect((await ctl(operator, 'import', file, '--apply', '--replace')).code).toBe(0);

      const odd = join(dir, 'lb.txt');
      writeFileSync(odd, 'hello\n');
      const unsure = await ctl(operator, 'import', odd);
      expect(unsure.code).toBe(2);
      expect(unsure.stderr).toMatch(/cannot tell whether .* is NGINX or HAProxy: say --format/);
      const broken = join(dir, 'broken.cfg');
      writeFileSync(broken, 'backend b\n  server a 10.0.0.1:80 weight heavy\n');
      const refused = await ctl(operator, 'import', broken);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/parsing \[broken\.cfg:2\] : 'weight' expects an integer argument, got 'heavy'/);

      const exported = await ctl(viewer, 'export', '--format', 'nginx', '--pool', 'backend-servers');
      expect(exported.code).toBe(0);
      expect(exported.stdout).toMatch(/upstream backend_servers \{\n {4}least_conn;\n {4}server 192\.168\.1\.10:8000 weight=3/);
      expect((await ctl(viewer, 'export', '--pool', 'backend-servers')).stderr).toMatch(/--format nginx or --format haproxy is required/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
