import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type TConfigFormat, type TImportPlan, guessConfigFormat } from '@fulcrum/protocol';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors';
import { buildImportPlan } from './import-plan';
import { readConfig } from './read-config';

const corpus = (name: string) => readFileSync(join(import.meta.dirname, 'corpus', name), 'utf8');

function plan(format: TConfigFormat, text: string, existing: { name: string; listenPort: number }[] = [], replace = false): TImportPlan {
  return buildImportPlan(format, readConfig(format, text), existing, replace);
}

function refusal(format: TConfigFormat, text: string): string {
  try {
    readConfig(format, text);
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('BAD_REQUEST');
    expect((err as AppError).fieldErrors?.text).toBeDefined();
    return (err as AppError).message;
  }
  throw new Error('expected the file to be refused');
}

const lines = (notes: { line: number }[]) => notes.map((n) => n.line);

describe('NGINX corpus', () => {
  it("the guide's example: least_conn upstream with weight and backup, listen 80, timeouts; static location unsupported", () => {
    const p = plan('nginx', corpus('guide-nginx.conf'));
    expect(p.errors).toEqual([]);
    expect(p.pools).toHaveLength(1);
    const [pool] = p.pools;
    expect(pool!.name).toBe('backend-servers');
    expect(pool!.from).toEqual({ line: 4, block: 'upstream backend_servers' });
    expect(pool!.config).toMatchObject({ algorithm: 'weighted_least_connections', listenHost: '0.0.0.0', listenPort: 80, protocol: 'http' });
    expect(pool!.config.timeouts).toEqual({ connectMs: 5000, firstByteMs: 10_000, idleMs: 10_000 });
    expect(pool!.backends.map((b) => [b.host, b.port, b.weight, b.backup])).toEqual([
      ['192.168.1.10', 8000, 3, false],
      ['192.168.1.11', 8000, 1, false],
      ['192.168.1.12', 8000, 1, false],
      ['192.168.1.13', 8000, 1, true],
    ]);
    expect(pool!.mappings.find((m) => m.line === 5)?.message).toBe('algorithm weighted_least_connections');
    expect(p.unsupported).toEqual([expect.objectContaining({ line: 27, directive: 'location /static/' })]);
    // The four proxy_set_header lines are what the data plane does anyway: neither warned nor unsupported.
    expect(lines(p.warnings)).toEqual([14]);
  });

  it('a conf.d snippet: every hash key, ip_hash, random, down, max_conns, IPv6, inherited timeouts', () => {
    const p = plan('nginx', corpus('conf-d-snippet.conf'));
    expect(p.errors).toEqual([]);
    const pool = (name: string) => p.pools.find((x) => x.name === name)!;
    expect(pool('api-hash').config).toMatchObject({ algorithm: 'consistent_hash', hashKey: { source: 'path' }, listenHost: '127.0.0.1', listenPort: 8081 });
    expect(pool('api-hash').config.timeouts).toEqual({ connectMs: 2000, firstByteMs: 90_000, idleMs: 60_000 });
    expect(pool('api-hash').config.outlierDetection).toMatchObject({ enabled: true, consecutiveErrors: 3, baseEjectionMs: 30_000 });
    expect(pool('api-hash').backends.map((b) => [b.host, b.maxConnections, b.adminState])).toEqual([
      ['10.0.0.1', 100, 'active'],
      ['10.0.0.2', 0, 'disabled'],
      ['2001:db8::5', 0, 'active'],
    ]);
    expect(pool('by-ip').config).toMatchObject({ algorithm: 'ip_hash', listenHost: '::1', listenPort: 8082 });
    expect(pool('by-ip').backends.map((b) => b.port)).toEqual([80, 8080]);
    expect(pool('by-cookie').config.hashKey).toEqual({ source: 'cookie', name: 'session' });
    expect(pool('by-header').config.hashKey).toEqual({ source: 'header', name: 'x-tenant-id' });
    expect(pool('by-addr').config.hashKey).toEqual({ source: 'client_ip' });
    expect(pool('two').config.algorithm).toBe('p2c');
    expect(pool('coin').config.algorithm).toBe('random');
    expect(pool('odd-key').config.algorithm).toBe('round_robin');
    // Unreferenced upstreams get free ports, none of them one the file uses.
    const ports = p.pools.map((x) => x.config.listenPort);
    expect(new Set(ports).size).toBe(ports.length);
    expect(p.unsupported.map((u) => [u.line, u.directive])).toEqual([
      [11, 'keepalive'],
      [17, 'hash $scheme$request_uri'],
      [27, 'listen … ssl'],
      [29, 'location /admin'],
    ]);
    expect(p.warnings.find((w) => w.line === 12 && w.directive === 'hash')?.message).toMatch(/consistent/);
  });

  it('a stream block: a TCP pool with proxy_timeout as its idle timeout, max_fails=0 turning ejection off', () => {
    const p = plan('nginx', corpus('stream.conf'));
    expect(p.pools).toHaveLength(1);
    expect(p.pools[0]!.config).toMatchObject({ name: 'postgres', protocol: 'tcp', listenPort: 6432, outlierDetection: { enabled: false } });
    expect(p.pools[0]!.config.timeouts).toMatchObject({ connectMs: 1000, idleMs: 600_000 });
    expect(p.unsupported.map((u) => u.directive)).toEqual(['worker_processes', 'events']);
  });
});

describe('HAProxy corpus', () => {
  it("the guide's example: defaults timeouts, frontend on *:80, roundrobin with weights, httpchk, expect 200, cookie insert", () => {
    const p = plan('haproxy', corpus('guide-haproxy.cfg'));
    expect(p.errors).toEqual([]);
    expect(p.pools.map((x) => x.name)).toEqual(['http-back']);
    const c = p.pools[0]!.config;
    expect(c).toMatchObject({ algorithm: 'weighted_round_robin', listenHost: '0.0.0.0', listenPort: 80, protocol: 'http' });
    expect(c.timeouts).toEqual({ connectMs: 5000, firstByteMs: 50_000, idleMs: 50_000 });
    expect(c.healthCheck).toMatchObject({ enabled: true, path: '/health', expectedStatusMin: 200, expectedStatusMax: 200 });
    expect(c.healthCheck.type).toBeUndefined();
    expect(c.stickiness).toMatchObject({ mode: 'cookie', cookieName: 'SERVERID' });
    expect(p.pools[0]!.backends.map((b) => b.weight)).toEqual([3, 1, 1]);
    expect(p.unsupported.map((u) => [u.line, u.directive])).toEqual([
      [3, 'maxconn 4096'],
      [4, 'log /dev/log local0'],
      [8, 'option httplog'],
      [26, 'listen stats'],
    ]);
    expect(p.warnings.map((w) => w.line)).toEqual([22]);
  });

  it('defaults and default-server inherited, use_backend unsupported, check/inter/rise/fall, weight 0, tcp mode, hdr(), random(2)', () => {
    const p = plan('haproxy', corpus('haproxy-full.cfg'));
    expect(p.errors).toEqual([]);
    const pool = (name: string) => p.pools.find((x) => x.name === name)!;
    const web = pool('web').config;
    expect(web).toMatchObject({ algorithm: 'least_connections', listenPort: 8000, slowStartMs: 10_000, retries: { attempts: 4 } });
    expect(web.timeouts).toEqual({ connectMs: 3000, firstByteMs: 20_000, idleMs: 60_000 });
    expect(web.healthCheck).toMatchObject({ path: '/ping', expectedStatusMin: 200, expectedStatusMax: 299, intervalMs: 5000, rise: 3, fall: 2, timeoutMs: 2000 });
    expect(pool('web').backends.map((b) => [b.maxConnections, b.backup, b.adminState])).toEqual([
      [50, false, 'active'],
      [0, true, 'active'],
      [0, false, 'disabled'],
    ]);
    expect(pool('api').config).toMatchObject({ algorithm: 'consistent_hash', hashKey: { source: 'path' }, healthCheck: { enabled: false } });
    expect(pool('api').backends[0]).toMatchObject({ weight: 1, adminState: 'draining' });
    expect(pool('db').config).toMatchObject({ protocol: 'tcp', algorithm: 'ip_hash', healthCheck: { enabled: true, intervalMs: 5000 } });
    expect(pool('tenants').config.hashKey).toEqual({ source: 'header', name: 'X-Tenant' });
    expect(pool('coin').config.algorithm).toBe('p2c');
    expect(p.unsupported.map((u) => u.line)).toEqual([11, 12, 13]);
    expect(p.warnings.find((w) => w.line === 18)?.message).toMatch(/GET/);
  });
});

describe('HAProxy defaults', () => {
  it('without any mode line a backend proxies TCP, as HAProxy does', () => {
    const p = plan('haproxy', 'frontend f\n  bind :5432\n  default_backend db\nbackend db\n  server a 10.0.0.1:5432 check\n');
    expect(p.pools[0]!.config).toMatchObject({ protocol: 'tcp', listenPort: 5432 });
    expect(p.pools[0]!.config.healthCheck.type).toBeUndefined();
    expect(p.pools[0]!.mappings.find((m) => m.directive === 'no mode')?.message).toMatch(/protocol tcp/);
  });
});

describe('syntax errors, worded as the tools word them', () => {
  const nginx: [string, RegExp][] = [
    ['upstream a {\n  server 10.0.0.1:80;\n', /^\[emerg\] unexpected end of file, expecting "}" in nginx\.conf:3$/],
    ['upstream a {\n  server 10.0.0.1:80\n}\n', /^\[emerg\] unexpected "}" in nginx\.conf:3$/],
    ['}\n', /unexpected "}" in nginx\.conf:1/],
    ['upstream a;\n', /directive "upstream" has no opening "{" in nginx\.conf:1/],
    ['upstream a { server 10.0.0.1:80 weight=x; }', /invalid parameter "weight=x" in nginx\.conf:1/],
    ['upstream a { server 10.0.0.1:80 weight=0; }', /invalid parameter "weight=0"/],
    ['upstream a { server 10.0.0.1:99999; }', /invalid host in upstream "10\.0\.0\.1:99999"/],
    ['upstream a { server 10.0.0.1:80 flaky; }', /invalid parameter "flaky"/],
    ['http {\n\n  include /etc/nginx/conf.d/*.conf;\n}', /"include \/etc\/nginx\/conf\.d\/\*\.conf" is not followed.*nginx\.conf:3$/],
    ['server { listen 80; location / { proxy_pass ftp://x; } }', /invalid URL prefix in "ftp:\/\/x"/],
    ['server { listen 127.0.0.1:99999; }', /invalid port in "127\.0\.0\.1:99999" of the "listen" directive/],
    ['upstream a { server "10.0.0.1:80"x; }', /unexpected "x"/],
    ['upstream a { server 10.0.0.1:80; }\nupstream a { server 10.0.0.2:80; }', /duplicate upstream "a" in nginx\.conf:2/],
    ['server { location / { proxy_read_timeout 5q; } }', /"proxy_read_timeout" directive invalid value/],
    ['upstream a { ; }', /unexpected ";"/],
    ['"unterminated', /unexpected end of file/],
  ];
  it.each(nginx)('nginx: %j', (text, message) => {
    expect(refusal('nginx', text)).toMatch(message);
  });

  const haproxy: [string, RegExp][] = [
    ['server a 10.0.0.1:80\n', /^parsing \[haproxy\.cfg:1\] : unknown keyword 'server' out of section\.$/],
    ['backend\n', /'backend' expects <name> as an argument/],
    ['backend b\n  balance fastest\n', /parsing \[haproxy\.cfg:2\] : 'balance' only supports/],
    ['backend b\n  server a\n', /'server' expects <name> and <addr>/],
    ['backend b\n  server a 10.0.0.1:80 weight x\n', /'weight' expects an integer argument, got 'x'/],
    ['backend b\n  timeout server forever\n', /'timeout server' expects a time value/],
    ['backend b\n  server a "10.0.0.1:80\n', /unmatched quote/],
    ['backend b\nbackend b\n', /parsing \[haproxy\.cfg:2\] : backend 'b' has the same name/],
    ['frontend f\n  bind :80\n  default_backend nowhere\n', /unable to find required default_backend: 'nowhere'/],
    ['defaults\n  mode udp\nbackend b\n', /unknown proxy mode 'udp'/],
  ];
  it.each(haproxy)('haproxy: %j', (text, message) => {
    expect(refusal('haproxy', text)).toMatch(message);
  });

  it('the file name given is the one named in the error', () => {
    try {
      readConfig('nginx', 'upstream a {', 'sites/web.conf');
    } catch (err) {
      expect((err as Error).message).toBe('[emerg] unexpected end of file, expecting "}" in sites/web.conf:1');
      return;
    }
    throw new Error('expected a refusal');
  });
});

describe('hostile input is refused cleanly', () => {
  it('deep nesting, a flood of words, an overlong HAProxy line', () => {
    expect(refusal('nginx', 'a {'.repeat(100_000))).toMatch(/nested deeper than 16 levels/);
    expect(refusal('nginx', `upstream a { server ${'x '.repeat(10_000)}; }`)).toMatch(/too many arguments/);
    expect(refusal('haproxy', `backend b\n  server a 10.0.0.1:80 ${'y'.repeat(5000)}\n`)).toMatch(/line too long/);
    expect(refusal('haproxy', `backend b\n  server a 10.0.0.1:80 ${'w '.repeat(100)}\n`)).toMatch(/too many words/);
  });

  it('many pools and servers are bounded in the plan, not a crash', () => {
    const upstreams = Array.from({ length: 201 }, (_, i) => `upstream u${i} { server 10.0.0.1:80; }`).join('\n');
    const p = plan('nginx', upstreams);
    expect(p.pools).toHaveLength(200);
    expect(p.errors.map((e) => e.message)).toEqual(['more than 200 pools in one file; split it']);
    const servers = Array.from({ length: 1001 }, (_, i) => `server 10.0.${i >> 8}.${i & 255}:80;`).join('\n');
    expect(plan('nginx', `upstream big {\n${servers}\n}`).errors.map((e) => e.message)).toEqual(['more than 1000 servers in one pool']);
  });

  it('parses a large file in linear time', () => {
    const big = Array.from({ length: 2000 }, (_, i) => `upstream u${i} {\n  # comment "with quotes" { }\n  server 10.0.0.1:80 weight=2;\n}`).join('\n');
    const draft = readConfig('nginx', big);
    expect(draft.pools).toHaveLength(2000);
  });
});

describe('values Fulcrum refuses are plan errors with their line', () => {
  it('an out-of-range weight, a duplicate server, names that clash, a taken name and port', () => {
    const text =
      'upstream a_b {\n  server 10.0.0.1:80 weight=5000;\n  server 10.0.0.2:80;\n  server 10.0.0.2:80;\n}\nupstream a-b { server 10.0.0.3:80; }\nupstream web { server 10.0.0.4:80; }\nserver { listen 9000; location / { proxy_pass http://web; } }';
    const p = plan('nginx', text, [
      { name: 'web', listenPort: 7000 },
      { name: 'other', listenPort: 9000 },
    ]);
    expect(p.errors.map((e) => [e.line, e.message])).toEqual([
      [2, 'weight: must be at most 1000'],
      [4, '10.0.0.2:80 is already a server of this pool (line 3); a pool has one backend per address'],
      [6, 'becomes pool a-b, as upstream a_b at line 1 does; rename one'],
      [7, 'a pool named web exists; import with replace (--replace) to replace its settings and backends'],
      [8, 'port 9000 is already used by pool other'],
    ]);
  });

  it('with replace, an existing pool is replaced and keeps its port when the file gives none', () => {
    const p = plan('nginx', 'upstream web { server 10.0.0.4:80; }', [{ name: 'web', listenPort: 7000 }], true);
    expect(p.errors).toEqual([]);
    expect(p.pools[0]).toMatchObject({ action: 'replace', config: { listenPort: 7000 } });
  });
});

describe('guessing the format', () => {
  it('from the file name, else the contents', () => {
    expect(guessConfigFormat('/etc/haproxy/haproxy.cfg', '')).toBe('haproxy');
    expect(guessConfigFormat('nginx.conf', 'upstream a { server x; }')).toBe('nginx');
    expect(guessConfigFormat('site.conf', corpus('guide-nginx.conf'))).toBe('nginx');
    expect(guessConfigFormat('lb.txt', corpus('guide-haproxy.cfg'))).toBe('haproxy');
    expect(guessConfigFormat('lb.txt', corpus('conf-d-snippet.conf'))).toBe('nginx');
    expect(guessConfigFormat('lb.txt', 'hello')).toBeNull();
  });
});
