import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FULCRUMCTL } from '../services/deploys/system-harness';
import { useTestApi, startRestServer } from '../test-support';

const api = useTestApi();
let rest: Awaited<ReturnType<typeof startRestServer>>;
beforeAll(async () => {
  rest = await startRestServer(api);
});
afterAll(async () => {
  await rest.close();
});

describe('fulcrumctl listeners and routes', () => {
  it('creates a listener, adds host routes to two pools, tests URLs, updates and deletes', async () => {
    const [operator, viewer] = [await api.token('operator'), await api.token('viewer')];
    const ctl = (token: string, ...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [FULCRUMCTL, ...args], { env: { ...process.env, FULCRUM_URL: rest.base.replace(/\/api\/v1$/, ''), FULCRUM_TOKEN: token } }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout, stderr }),
        );
      });
    const op = await api.as('operator');
    await op.pools.create({ name: 'api' });
    await op.pools.create({ name: 'site' });

    const created = await ctl(operator, 'listeners', 'create', 'edge', '--port', '18300', '--reason', 'one port for both');
    expect(created).toMatchObject({ code: 0, stderr: '' });
    expect(created.stdout).toMatch(/created listener edge \(http on 0\.0\.0\.0:18300\)/);
    expect((await ctl(operator, 'routes', 'add', '--listener', 'edge', 'api', '--host', 'api.example.com', '--pool', 'api')).code).toBe(0);
    const site = await ctl(operator, 'routes', 'add', '--listener', 'edge', 'site', '--host', '*.example.com', '--host', 'example.com', '--pool', 'site');
    expect(site.stdout).toMatch(/added route site to edge: \*\.example\.com,example\.com \/\* -> pool /);
    expect((await ctl(operator, 'routes', 'add', '--listener', 'edge', 'old', '--path', '/old', '--redirect', 'https://$host/new', '--status', '301')).code).toBe(0);

    const shown = await ctl(viewer, 'listeners', 'show', 'edge');
    expect(shown.code).toBe(0);
    const rows = shown.stdout
      .split('\n')
      .filter((l) => /^\d+ /.test(l))
      .map((l) => l.split(/\s{2,}/).slice(1, 4));
    expect(rows).toEqual([
      ['api', '0', 'api.example.com'],
      ['site', '0', 'example.com'],
      ['site', '0', '*.example.com'],
      ['old', '0', '*'],
    ]);
    expect((await ctl(viewer, 'listeners', 'list')).stdout).toMatch(/edge\s+http\s+0\.0\.0\.0:18300\s+3\s+no/);

    const toApi = await ctl(viewer, 'routes', 'test', '--listener', 'edge', 'http://api.example.com/v1');
    expect(toApi.code).toBe(0);
    expect(toApi.stdout).toMatch(/-> route api: pool /);
    const toSite = await ctl(viewer, 'routes', 'test', '--listener', 'edge', '/x', '--header', 'Host: www.example.com');
    expect(toSite.stdout).toMatch(/✗ api \(api\.example\.com\): host www\.example\.com is not api\.example\.com/);
    expect(toSite.stdout).toMatch(/-> route site/);
    const none = await ctl(viewer, 'routes', 'test', '--listener', 'edge', 'http://other.test/x');
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(/no route matches/);
    const json = JSON.parse((await ctl(viewer, '--json', 'routes', 'test', '--listener', 'edge', 'http://other.test/old/a')).stdout) as { route: { name: string } };
    expect(json.route.name).toBe('old');

    const updated = await ctl(operator, 'routes', 'update', '--listener', 'edge', 'old', '--priority', '5', '--status', '410', '--body', 'gone');
    expect(updated.stdout).toMatch(/updated route old: \* \/old\* -> answer 410 \(priority 5\)/);
    expect((await ctl(viewer, 'routes', 'add', '--listener', 'edge', 'x', '--pool', 'api')).stderr).toMatch(/operator role; you have viewer \(HTTP 403\)/);
    const ghost = await ctl(operator, 'routes', 'add', '--listener', 'edge', 'ghost', '--pool', 'nope');
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toMatch(/no pool nope/);
    expect((await ctl(operator, 'routes', 'add', '--listener', 'edge', 'both', '--pool', 'api', '--redirect', '/x')).code).toBe(2);
    expect((await ctl(operator, 'listeners', 'create', 'twin', '--port', '18300')).stderr).toMatch(/port 18300 is already used by listener edge/);

    expect((await ctl(operator, 'routes', 'delete', '--listener', 'edge', 'old')).stdout).toMatch(/deleted route old from edge/);
    expect((await ctl(operator, 'listeners', 'delete', 'edge')).stdout).toMatch(/deleted listener edge and its 2 route\(s\)/);
    expect(await api.db.prisma.listener.count({ where: { name: 'edge' } })).toBe(0);
  }, 600_000); // 17 fulcrumctl processes: at load 17 on 2 cores each start took 4-20 s, so the default hang bound (180 s) was reached
});
