import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type TBackend, type TBackendConfigInput, type TPool, type TPoolConfigInput, ZBackendConfig, ZPoolConfig, healthCheckType } from '@fulcrum/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportHaproxy } from './haproxy-export';
import { buildImportPlan } from './import-plan';
import { exportNginx } from './nginx-export';
import { readConfig } from './read-config';

const run = promisify(execFile);
const NGINX = '/usr/sbin/nginx';
const HAPROXY = '/usr/sbin/haproxy';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fulcrum-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function pool(config: TPoolConfigInput, backends: TBackendConfigInput[]): TPool & { backends: TBackend[] } {
  const stamp = { version: 1, createdAt: '2026-11-30T00:00:00.000Z', updatedAt: '2026-11-30T00:00:00.000Z' };
  return {
    ...ZPoolConfig.parse(config),
    id: 'p1',
    ...stamp,
    backends: backends.map((b, i) => ({ ...ZBackendConfig.parse(b), id: `b${i}`, poolId: 'p1', versionLabel: null, ...stamp })),
  };
}

/** The nginx check, unprivileged: the exported snippet inside a minimal main config with a temp prefix, pid and logs. */
async function nginxAccepts(snippet: string, name: string): Promise<string> {
  const prefix = join(dir, `nginx-${name}`);
  await rm(prefix, { recursive: true, force: true });
  await run('mkdir', ['-p', join(prefix, 'logs')]);
  const main = `pid ${prefix}/nginx.pid;\nerror_log ${prefix}/logs/error.log;\nevents {}\n${
    snippet.includes('stream {')
      ? snippet
      : `http {\n  access_log off;\n  client_body_temp_path ${prefix}/body;\n  proxy_temp_path ${prefix}/proxy;\n  fastcgi_temp_path ${prefix}/fastcgi;\n  uwsgi_temp_path ${prefix}/uwsgi;\n  scgi_temp_path ${prefix}/scgi;\n${snippet}}\n`
  }`;
  const file = join(prefix, 'nginx.conf');
  await writeFile(file, main);
  const { stderr } = await run(NGINX, ['-t', '-p', prefix, '-c', file, '-e', join(prefix, 'logs', 'error.log')]);
  return stderr;
}

async function haproxyAccepts(text: string, name: string): Promise<string> {
  const file = join(dir, `${name}.cfg`);
  await writeFile(file, text);
  const { stdout, stderr } = await run(HAPROXY, ['-c', '-f', file]);
  return stdout + stderr;
}

/** What an import of an export must give back: the pool's settings and backends, ids and stamps aside. */
function comparable(p: TPool & { backends: TBackend[] }, drop: (keyof TPool)[]) {
  const { id, version, createdAt, updatedAt, backends, ...config } = p;
  void id, version, createdAt, updatedAt;
  for (const key of drop) delete (config as Partial<TPool>)[key];
  const hc = 'healthCheck' in config ? { healthCheck: { ...config.healthCheck, type: healthCheckType(config) } } : {};
  return { config: { ...config, ...hc }, backends: backends.map(({ id, poolId, version, createdAt, updatedAt, versionLabel, ...b }) => b) };
}

function reimport(format: 'nginx' | 'haproxy', text: string) {
  const plan = buildImportPlan(format, readConfig(format, text), [], false);
  expect(plan.errors).toEqual([]);
  expect(plan.pools).toHaveLength(1);
  const [p] = plan.pools;
  return {
    ...p!.config,
    id: 'p1',
    version: 1,
    createdAt: '',
    updatedAt: '',
    backends: p!.backends.map((b, i) => ({ ...b, id: `b${i}`, poolId: 'p1', version: 1, createdAt: '', updatedAt: '', versionLabel: null })),
  };
}

const backends: TBackendConfigInput[] = [
  { host: '10.0.0.1', port: 8080, weight: 3, maxConnections: 200 },
  { host: '10.0.0.2', port: 8080 },
  { host: '10.0.0.3', port: 8081, backup: true },
  { host: '2001:db8::7', port: 8080, adminState: 'disabled' },
];

describe.skipIf(!existsSync(NGINX))('round trip through NGINX', () => {
  // What open-source NGINX expresses: health checks, stickiness, retries and HTTP limits it has not.
  const notInNginx: (keyof TPool)[] = ['healthCheck', 'stickiness', 'retries', 'http', 'slowStartMs', 'drainTimeoutMs'];
  const cases: [string, TPoolConfigInput][] = [
    [
      'weighted least connections with ejection',
      {
        name: 'web',
        listenHost: '127.0.0.1',
        listenPort: 18_080,
        algorithm: 'weighted_least_connections',
        outlierDetection: { consecutiveErrors: 4, baseEjectionMs: 45_000 },
        timeouts: { connectMs: 1500, firstByteMs: 20_000, idleMs: 90_000 },
      },
    ],
    ['consistent hash on the URI', { name: 'api-v2', listenPort: 18_081, algorithm: 'consistent_hash', hashKey: { source: 'path' } }],
    ['consistent hash on a header', { name: 'tenants', listenPort: 18_082, algorithm: 'consistent_hash', hashKey: { source: 'header', name: 'x-tenant-id' } }],
    ['consistent hash on a cookie', { name: 'sessions', listenPort: 18_083, algorithm: 'consistent_hash', hashKey: { source: 'cookie', name: 'sid' } }],
    ['ip hash, ejection off', { name: 'by-ip', listenPort: 18_084, algorithm: 'ip_hash', outlierDetection: { enabled: false } }],
    ['power of two choices', { name: 'p2c', listenPort: 18_085, algorithm: 'p2c' }],
    ['weighted random', { name: 'coin', listenPort: 18_086, algorithm: 'random' }],
    ['weighted round robin', { name: 'rr', listenPort: 18_087, algorithm: 'weighted_round_robin' }],
  ];
  it.each(cases)('%s: nginx -t accepts the export, and importing it gives the same pool', async (_, config) => {
    // NGINX's hash, ip_hash and random refuse backup servers (nginx -t: "balancing method does not support parameter backup").
    const withBackup = ['round_robin', 'weighted_round_robin', 'least_connections', 'weighted_least_connections'].includes(config.algorithm ?? 'round_robin');
    const original = pool(config, withBackup ? backends : backends.filter((b) => !b.backup));
    const text = exportNginx(original);
    const out = await nginxAccepts(text, original.name);
    expect(out).toMatch(/syntax is ok/);
    expect(out).toMatch(/test is successful/);
    const back = reimport('nginx', text);
    const ignore: (keyof TPool)[] = config.outlierDetection?.enabled === false ? [...notInNginx, 'outlierDetection'] : notInNginx;
    expect(comparable(back, ignore)).toEqual(comparable(original, ignore));
    if (config.outlierDetection?.enabled === false) expect(back.outlierDetection.enabled).toBe(false);
  });

  it('a backup server under a hash method is said in a comment, since NGINX refuses it there', async () => {
    const text = exportNginx(pool({ name: 'h', listenPort: 18_088, algorithm: 'ip_hash' }, backends));
    expect(await nginxAccepts(text, 'h')).toMatch(/test is successful/);
    expect(text).toMatch(/# Not expressed: backup server 10\.0\.0\.3:8081/);
  });

  it('nginx -t refuses what the importer refuses: a missing brace, an invalid server parameter', async () => {
    for (const bad of ['upstream a {\n  server 10.0.0.1:80;\n', 'upstream a {\n  server 10.0.0.1:80 weight=x;\n}\n']) {
      const nginx = await nginxAccepts(bad, 'bad').then(
        () => 'accepted',
        (err: { stderr: string }) => err.stderr,
      );
      expect(nginx).toMatch(/\[emerg\]/);
      expect(() => readConfig('nginx', bad)).toThrow(/\[emerg\]/);
    }
  });
});

describe.skipIf(!existsSync(HAPROXY))('round trip through HAProxy', () => {
  // HAProxy has no passive ejection like Fulcrum's (observe/error-limit differ).
  const notInHaproxy: (keyof TPool)[] = ['outlierDetection', 'drainTimeoutMs'];
  const cases: [string, TPoolConfigInput][] = [
    [
      'the guide: roundrobin, HTTP check, cookie stickiness',
      {
        name: 'web',
        listenHost: '127.0.0.1',
        listenPort: 18_090,
        algorithm: 'weighted_round_robin',
        healthCheck: { path: '/health', expectedStatusMin: 200, expectedStatusMax: 200, intervalMs: 10_000, timeoutMs: 5000, rise: 2, fall: 3 },
        stickiness: { mode: 'cookie', cookieName: 'SERVERID', ttlSeconds: 7200 },
        timeouts: { connectMs: 5000, firstByteMs: 50_000, idleMs: 50_000, tunnelMs: 3_600_000 },
        retries: { attempts: 3 },
        slowStartMs: 15_000,
      },
    ],
    [
      'least connections, a status range',
      { name: 'api', listenPort: 18_091, algorithm: 'weighted_least_connections', healthCheck: { path: '/ready', expectedStatusMin: 200, expectedStatusMax: 299 } },
    ],
    ['consistent hash on the whole URI', { name: 'cache', listenPort: 18_092, algorithm: 'consistent_hash', hashKey: { source: 'path' }, healthCheck: { enabled: false } }],
    ['consistent hash on a header', { name: 'tenants', listenPort: 18_093, algorithm: 'consistent_hash', hashKey: { source: 'header', name: 'X-Tenant' } }],
    ['source hash, TCP with a TCP check', { name: 'db', protocol: 'tcp', listenPort: 18_094, algorithm: 'ip_hash' }],
    ['an HTTP check on a TCP pool', { name: 'db-http', protocol: 'tcp', listenPort: 18_095, algorithm: 'least_connections', healthCheck: { type: 'http', path: '/up' } }],
    ['a TCP check on an HTTP pool, p2c', { name: 'plain', listenPort: 18_096, algorithm: 'p2c', healthCheck: { type: 'tcp' } }],
  ];
  it.each(cases)('%s: haproxy -c accepts the export, and importing it gives the same pool', async (_, config) => {
    const original = pool(config, config.algorithm === 'least_connections' || config.algorithm === 'p2c' ? backends.map((b) => ({ ...b, weight: 1 })) : backends);
    const text = exportHaproxy(original);
    const out = await haproxyAccepts(text, original.name);
    expect(out).toMatch(/Configuration file is valid/);
    const back = reimport('haproxy', text);
    expect(comparable(back, notInHaproxy)).toEqual(comparable(original, notInHaproxy));
  });

  it('haproxy -c refuses what the importer refuses: an unknown balance algorithm', async () => {
    const bad = 'backend b\n  balance fastest\n  server a 10.0.0.1:80\n';
    const haproxy = await haproxyAccepts(bad, 'bad').then(
      () => 'accepted',
      (err: { stdout: string; stderr: string }) => err.stdout + err.stderr,
    );
    expect(haproxy).toMatch(/parsing \[.*:2\]/);
    expect(() => readConfig('haproxy', bad)).toThrow(/parsing \[haproxy\.cfg:2\]/);
  });
});
