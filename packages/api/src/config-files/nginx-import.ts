import type { TBackendConfigInput, THashKey } from '@fulcrum/protocol';
import { ConfigSyntaxError } from './config-syntax-error';
import { formatDuration, parseNginxTime } from './durations';
import { type ImportDraft, type PoolDraft, setPool } from './import-draft';
import { splitHostPort } from './listen-address';
import { type NginxDirective, parseNginx } from './nginx-parser';

type Context = 'http' | 'stream';

/** `proxy_set_header` lines the data plane already honours: it forwards Host and sets these itself. */
// A Map, not an object literal: a header named `__proto__` or `constructor` must find nothing.
const COVERED_HEADERS = new Map<string, RegExp>([
  ['host', /^\$(host|http_host|proxy_host)$/],
  ['x-real-ip', /^\$remote_addr$/],
  ['x-forwarded-for', /^\$(proxy_add_x_forwarded_for|remote_addr)$/],
  ['x-forwarded-proto', /^\$scheme$/],
  ['x-forwarded-host', /^\$(host|http_host)$/],
]);

/** Why NGINX's own process settings have no place in a pool. */
const PROCESS_LEVEL = new Set([
  'user',
  'worker_processes',
  'pid',
  'error_log',
  'worker_rlimit_nofile',
  'load_module',
  'daemon',
  'master_process',
  'pcre_jit',
  'thread_pool',
  'env',
  'lock_file',
  'worker_cpu_affinity',
  'worker_priority',
]);

interface Timeouts {
  connect?: { ms: number; line: number };
  read?: { ms: number; line: number };
  send?: { ms: number; line: number };
  /** stream's proxy_timeout: idle time on either side. */
  idle?: { ms: number; line: number };
}

/**
 * Turns an nginx.conf (a whole file, or a conf.d snippet of `upstream` and `server` blocks) into
 * pools: each `upstream` a pool, and the `server { listen; location / { proxy_pass } }` in front
 * of it its listen address and timeouts. A syntax error throws ConfigSyntaxError; everything
 * else lands in the draft as a mapping, a warning or an unsupported item with its line.
 */
export function importNginx(text: string, draft: ImportDraft): void {
  const tree = parseNginx(text);
  const upstreams = new Map<string, PoolDraft>();
  const servers: { d: NginxDirective; context: Context; inherited: Timeouts }[] = [];

  const walkContext = (list: NginxDirective[], context: Context, inherited: Timeouts) => {
    const here = { ...inherited };
    for (const d of list) readTimeout(d, here, context);
    for (const d of list) {
      if (isTimeout(d, context)) continue;
      if (d.name === 'upstream') {
        if (d.args[0] !== undefined && upstreams.has(d.args[0])) throw new ConfigSyntaxError(d.line, `duplicate upstream "${d.args[0]}"`);
        upstreams.set(d.args[0] ?? '', importUpstream(d, context, draft));
      } else if (d.name === 'server' && d.block) servers.push({ d, context, inherited: here });
      else if (d.name === 'include') refuseInclude(d);
      else draft.unsupport(d.line, d.name, `NGINX ${context} setting with no pool equivalent; not imported`);
    }
  };

  // A conf.d snippet holds http-level directives without the http block around them.
  const snippet: NginxDirective[] = [];
  for (const d of tree) {
    if (d.name === 'http' && d.block) walkContext(d.block, 'http', {});
    else if (d.name === 'stream' && d.block) walkContext(d.block, 'stream', {});
    else if (d.name === 'include') refuseInclude(d);
    else if (d.name === 'events') draft.unsupport(d.line, 'events', "NGINX's connection processing; Fulcrum's data plane has its own");
    else if (PROCESS_LEVEL.has(d.name)) draft.unsupport(d.line, d.name, "a setting of the NGINX process itself; Fulcrum's data plane is configured apart");
    else snippet.push(d);
  }
  walkContext(snippet, 'http', {});

  const bound = new Map<PoolDraft, number>();
  const ports = new Map<string, string>();
  for (const { d, context, inherited } of servers) importServer(d, context, inherited, { draft, upstreams, bound, ports });
}

function refuseInclude(d: NginxDirective): never {
  throw new ConfigSyntaxError(
    d.line,
    `"include ${d.args.join(' ')}" is not followed: the importer reads one file; paste the included file in its place, or remove the line if it holds no upstream or server`,
  );
}

function isTimeout(d: NginxDirective, context: Context): boolean {
  return ['proxy_connect_timeout', 'proxy_read_timeout', 'proxy_send_timeout'].includes(d.name) || (context === 'stream' && d.name === 'proxy_timeout');
}

function readTimeout(d: NginxDirective, into: Timeouts, context: Context): boolean {
  if (!isTimeout(d, context)) return false;
  if (d.args.length !== 1) throw new ConfigSyntaxError(d.line, `invalid number of arguments in "${d.name}" directive`);
  const ms = parseNginxTime(d.args[0]!);
  if (ms === null) throw new ConfigSyntaxError(d.line, `"${d.name}" directive invalid value`);
  const key = d.name === 'proxy_connect_timeout' ? 'connect' : d.name === 'proxy_read_timeout' ? 'read' : d.name === 'proxy_send_timeout' ? 'send' : 'idle';
  into[key] = { ms, line: d.line };
  return true;
}

function importUpstream(d: NginxDirective, context: Context, draft: ImportDraft): PoolDraft {
  if (d.args.length !== 1) throw new ConfigSyntaxError(d.line, 'invalid number of arguments in "upstream" directive');
  const pool = draft.addPool(d.args[0]!, d.line, `upstream ${d.args[0]}`);
  if (context === 'stream') setPool(pool, 'protocol', 'tcp', { line: d.line, directive: 'stream { upstream }', becomes: 'protocol tcp (a stream upstream proxies TCP)' });
  let method: { kind: 'rr' | 'least_conn' | 'other'; line: number } = { kind: 'rr', line: d.line };
  const setMethod = (m: NginxDirective, kind: 'rr' | 'least_conn' | 'other') => {
    if (method.line !== d.line) draft.warn(m.line, m.name, `load balancing method redefined (line ${method.line}); the last one counts, as in NGINX`);
    method = { kind, line: m.line };
  };
  const failSettings: { maxFails: number; failTimeoutMs: number; line: number }[] = [];

  for (const s of d.block ?? []) {
    switch (s.name) {
      case 'server': {
        const server = importUpstreamServer(s, draft);
        if (!server) break;
        pool.backends.push({ line: s.line, config: server.config });
        failSettings.push({ ...server.fail, line: s.line });
        if (server.slowStartMs !== undefined)
          setPool(pool, 'slowStartMs', server.slowStartMs, { line: s.line, directive: 'slow_start', becomes: `slow start ${formatDuration(server.slowStartMs)} (pool-wide)` });
        break;
      }
      case 'least_conn':
        noArgs(s);
        setMethod(s, 'least_conn');
        break;
      case 'ip_hash':
        noArgs(s);
        setMethod(s, 'other');
        setPool(pool, 'algorithm', 'ip_hash', { line: s.line, directive: 'ip_hash', becomes: 'algorithm ip_hash' });
        draft.warn(s.line, 'ip_hash', "NGINX's ip_hash keys on the first three octets of an IPv4 address; Fulcrum keys on the whole address, so clients of one /24 may reach different backends");
        break;
      case 'hash':
        setMethod(s, 'other');
        importHash(s, pool, draft);
        break;
      case 'random':
        setMethod(s, 'other');
        importRandom(s, pool, draft);
        break;
      case 'least_time':
        setMethod(s, 'other');
        setPool(pool, 'algorithm', 'least_response_time', { line: s.line, directive: `least_time ${s.args.join(' ')}`, becomes: 'algorithm least_response_time (EWMA of response time)' });
        break;
      case 'sticky':
        importSticky(s, pool, draft);
        break;
      case 'keepalive':
      case 'keepalive_timeout':
      case 'keepalive_requests':
      case 'keepalive_time':
        draft.unsupport(s.line, s.name, 'idle upstream connections are managed by the data plane; there is no per-pool setting');
        break;
      case 'zone':
        draft.unsupport(s.line, 'zone', 'a shared memory zone between NGINX workers; Fulcrum needs none');
        break;
      default:
        draft.unsupport(s.line, s.name, 'no Fulcrum equivalent for this upstream directive; not imported');
    }
  }
  const weighted = pool.backends.some((b) => (b.config.weight ?? 1) !== 1);
  if (method.kind === 'rr') {
    const algorithm = weighted ? 'weighted_round_robin' : 'round_robin';
    setPool(pool, 'algorithm', algorithm, { line: d.line, directive: 'round robin (NGINX default)', becomes: `algorithm ${algorithm}` });
  } else if (method.kind === 'least_conn') {
    const algorithm = weighted ? 'weighted_least_connections' : 'least_connections';
    setPool(pool, 'algorithm', algorithm, { line: method.line, directive: 'least_conn', becomes: `algorithm ${algorithm}` });
  }
  importFailSettings(pool, failSettings, draft);
  return pool;
}

function noArgs(d: NginxDirective): void {
  if (d.args.length) throw new ConfigSyntaxError(d.line, `invalid number of arguments in "${d.name}" directive`);
}

function importUpstreamServer(s: NginxDirective, draft: ImportDraft): { config: TBackendConfigInput; fail: { maxFails: number; failTimeoutMs: number }; slowStartMs?: number } | null {
  if (s.block) throw new ConfigSyntaxError(s.line, 'directive "server" is not terminated by ";"');
  const [address, ...params] = s.args;
  if (!address) throw new ConfigSyntaxError(s.line, 'invalid number of arguments in "server" directive');
  if (address.startsWith('unix:')) {
    draft.unsupport(s.line, `server ${address}`, 'a UNIX socket backend; Fulcrum backends are host:port');
    return null;
  }
  const hp = splitHostPort(address, 80);
  if (!hp) throw new ConfigSyntaxError(s.line, `invalid host in upstream "${address}"`);
  const config: TBackendConfigInput = { host: hp.host, port: hp.port };
  const fail = { maxFails: 1, failTimeoutMs: 10_000 };
  let slowStartMs: number | undefined;
  for (const p of params) {
    const [key, value] = p.includes('=') ? [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)] : [p, undefined];
    const int = () => {
      if (value === undefined || !/^\d{1,9}$/.test(value)) throw new ConfigSyntaxError(s.line, `invalid parameter "${p}"`);
      return Number(value);
    };
    const time = () => {
      const ms = value === undefined ? null : parseNginxTime(value);
      if (ms === null) throw new ConfigSyntaxError(s.line, `invalid parameter "${p}"`);
      return ms;
    };
    if (key === 'weight') {
      config.weight = int();
      if (config.weight === 0) throw new ConfigSyntaxError(s.line, `invalid parameter "${p}"`);
    } else if (key === 'max_fails') fail.maxFails = int();
    else if (key === 'fail_timeout') fail.failTimeoutMs = time();
    else if (key === 'max_conns') config.maxConnections = int();
    else if (key === 'slow_start') slowStartMs = time();
    else if (p === 'backup') config.backup = true;
    else if (p === 'down') config.adminState = 'disabled';
    else if (p === 'drain') config.adminState = 'draining';
    else if (p === 'resolve' || key === 'service' || key === 'route') draft.unsupport(s.line, p, 'NGINX Plus DNS/service discovery for this server; the address is imported as written');
    else throw new ConfigSyntaxError(s.line, `invalid parameter "${p}"`);
  }
  return { config, fail, slowStartMs };
}

/** NGINX's max_fails/fail_timeout are per server; Fulcrum's outlier detection is per pool. */
function importFailSettings(pool: PoolDraft, seen: { maxFails: number; failTimeoutMs: number; line: number }[], draft: ImportDraft): void {
  const explicit = seen.filter((f) => f.maxFails !== 1 || f.failTimeoutMs !== 10_000);
  const first = explicit[0];
  if (!first) return;
  const differ = seen.find((f) => f.maxFails !== first.maxFails || f.failTimeoutMs !== first.failTimeoutMs);
  if (differ) draft.warn(differ.line, 'max_fails/fail_timeout', `servers differ; the pool takes line ${first.line}'s values for every backend`);
  if (first.maxFails === 0) {
    setPool(pool, 'outlierDetection', { enabled: false }, { line: first.line, directive: 'max_fails=0', becomes: 'outlier detection off' });
    return;
  }
  setPool(
    pool,
    'outlierDetection',
    { enabled: true, consecutiveErrors: first.maxFails, baseEjectionMs: first.failTimeoutMs },
    {
      line: first.line,
      directive: `max_fails=${first.maxFails} fail_timeout=${formatDuration(first.failTimeoutMs)}`,
      becomes: `outlier detection: eject after ${first.maxFails} consecutive errors for ${formatDuration(first.failTimeoutMs)} (growing on repeats)`,
    },
  );
  draft.warn(first.line, 'max_fails', 'NGINX counts failures within fail_timeout; Fulcrum ejects after consecutive errors, and the ejection time grows if a backend fails again');
}

function hashKeyOf(variable: string): THashKey | null {
  if (variable === '$request_uri') return { source: 'path' };
  if (variable === '$remote_addr' || variable === '$binary_remote_addr') return { source: 'client_ip' };
  const cookie = /^\$cookie_([A-Za-z0-9_-]+)$/.exec(variable);
  if (cookie) return { source: 'cookie', name: cookie[1]! };
  // NGINX's $http_x_user_id is the header X-User-Id.
  const header = /^\$http_([A-Za-z0-9_]+)$/.exec(variable);
  if (header) return { source: 'header', name: header[1]!.replace(/_/g, '-') };
  return null;
}

function importHash(s: NginxDirective, pool: PoolDraft, draft: ImportDraft): void {
  const [key, flag, ...rest] = s.args;
  if (!key || rest.length || (flag !== undefined && flag !== 'consistent')) throw new ConfigSyntaxError(s.line, 'invalid number of arguments in "hash" directive');
  const hashKey = hashKeyOf(key);
  if (!hashKey) {
    draft.unsupport(
      s.line,
      `hash ${key}`,
      'Fulcrum hashes on the client IP, one header, one cookie or the request URI ($remote_addr, $http_NAME, $cookie_NAME, $request_uri); the pool keeps round robin',
    );
    return;
  }
  setPool(pool, 'algorithm', 'consistent_hash', { line: s.line, directive: `hash ${s.args.join(' ')}`, becomes: 'algorithm consistent_hash' });
  setPool(pool, 'hashKey', hashKey, { line: s.line, directive: `hash ${key}`, becomes: `hash key ${hashKey.source}${hashKey.name ? ` ${hashKey.name}` : ''}` });
  if (flag !== 'consistent') draft.warn(s.line, 'hash', 'without "consistent" NGINX remaps most keys when a server is added or removed; Fulcrum always uses a consistent ring');
}

function importRandom(s: NginxDirective, pool: PoolDraft, draft: ImportDraft): void {
  const [two, method, ...rest] = s.args;
  if (rest.length || (two !== undefined && two !== 'two')) throw new ConfigSyntaxError(s.line, `invalid parameter "${two ?? rest[0]}"`);
  if (two !== 'two') {
    setPool(pool, 'algorithm', 'random', { line: s.line, directive: 'random', becomes: 'algorithm random (weighted)' });
    return;
  }
  setPool(pool, 'algorithm', 'p2c', { line: s.line, directive: `random ${s.args.join(' ')}`, becomes: 'algorithm p2c (two random choices, the less loaded wins)' });
  if (method !== undefined && method !== 'least_conn') draft.warn(s.line, `random two ${method}`, 'Fulcrum compares the two choices by active connections');
}

function importSticky(s: NginxDirective, pool: PoolDraft, draft: ImportDraft): void {
  const [kind, name, ...params] = s.args;
  if (kind !== 'cookie' || !name) {
    draft.unsupport(s.line, `sticky ${s.args.join(' ')}`, 'Fulcrum sticks sessions by a cookie it sets (sticky cookie NAME); learn/route modes are not imported');
    return;
  }
  const expires = params.find((p) => p.startsWith('expires='))?.slice('expires='.length);
  const ms = expires && expires !== 'max' ? parseNginxTime(expires) : null;
  const ttlSeconds = ms === null ? undefined : Math.round(ms / 1000);
  setPool(
    pool,
    'stickiness',
    { mode: 'cookie', cookieName: name, ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) },
    {
      line: s.line,
      directive: `sticky cookie ${name}`,
      becomes: `stickiness cookie ${name}${ttlSeconds !== undefined ? `, ${ttlSeconds} s` : ''}`,
    },
  );
}

interface ServerScope {
  draft: ImportDraft;
  upstreams: Map<string, PoolDraft>;
  /** Pools already given a listen address, with the line that gave it. */
  bound: Map<PoolDraft, number>;
  /** Listen addresses taken by an earlier server block, and by which pool. */
  ports: Map<string, string>;
}

function importServer(d: NginxDirective, context: Context, inherited: Timeouts, scope: ServerScope): void {
  const { draft } = scope;
  const timeouts: Timeouts = { ...inherited };
  for (const s of d.block!) readTimeout(s, timeouts, context);
  let listen: { host: string; port: number; line: number } | null = null;
  const targets: { pool: PoolDraft; line: number; timeouts: Timeouts; directive: string }[] = [];
  const serverNames: NginxDirective[] = [];

  const readProxyPass = (p: NginxDirective, scopeTimeouts: Timeouts) => {
    if (p.args.length !== 1) throw new ConfigSyntaxError(p.line, 'invalid number of arguments in "proxy_pass" directive');
    const target = p.args[0]!;
    const m = context === 'http' ? /^(https?):\/\/([^/]+)(\/.*)?$/.exec(target) : /^()([^/]+)()$/.exec(target);
    if (!m) throw new ConfigSyntaxError(p.line, `invalid URL prefix in "${target}"`);
    const [, scheme, name, uri] = m;
    if (scheme === 'https') {
      draft.unsupport(p.line, `proxy_pass ${target}`, 'TLS to backends is not supported; backends are reached over plain HTTP');
      return;
    }
    const pool = scope.upstreams.get(name!);
    if (!pool) {
      draft.unsupport(p.line, `proxy_pass ${target}`, `"${name}" is not an upstream in this file; put its address in an upstream block to import it as a pool`);
      return;
    }
    if (uri && uri !== '/') draft.warn(p.line, `proxy_pass ${target}`, `the URI part "${uri}" is not imported: requests reach the backends with their own path`);
    targets.push({ pool, line: p.line, timeouts: scopeTimeouts, directive: `proxy_pass ${target}` });
  };

  for (const s of d.block!) {
    if (isTimeout(s, context)) continue;
    switch (s.name) {
      case 'listen':
        if (listen) {
          draft.unsupport(s.line, `listen ${s.args.join(' ')}`, `a pool listens on one address; line ${listen.line}'s is used`);
          break;
        }
        listen = readListen(s, context, draft);
        break;
      case 'server_name':
        serverNames.push(s);
        break;
      case 'proxy_pass':
        if (context === 'stream') readProxyPass(s, timeouts);
        else draft.unsupport(s.line, 'proxy_pass', 'proxy_pass outside a location; put it in location /');
        break;
      case 'location':
        importLocation(s, timeouts, readProxyPass, draft);
        break;
      case 'proxy_set_header':
        importSetHeader(s, draft);
        break;
      // biome-ignore lint/suspicious/noFallthroughSwitchClause: refuseInclude never returns
      case 'include':
        refuseInclude(s);
      // falls through: refuseInclude never returns
      default:
        draft.unsupport(s.line, s.name, 'no Fulcrum equivalent for this server setting; not imported');
    }
  }

  const first = targets[0];
  for (const extra of targets.slice(1)) {
    draft.unsupport(extra.line, extra.directive, `one port sends all its traffic to one pool; line ${first!.line} already proxies this server`);
  }
  if (!first) return;
  const { pool } = first;
  listen ??= { host: '0.0.0.0', port: context === 'http' ? 80 : 0, line: d.line };
  if (listen.port === 0) throw new ConfigSyntaxError(d.line, 'no "listen" is defined for server in "stream" block');
  const key = `${listen.host}:${listen.port}`;
  const boundAt = scope.bound.get(pool);
  if (boundAt !== undefined) {
    draft.unsupport(listen.line, `listen ${listen.port}`, `pool ${pool.sourceName} already listens at line ${boundAt}'s address; a pool listens on one address`);
    return;
  }
  const taken = scope.ports.get(key);
  if (taken !== undefined) {
    draft.unsupport(listen.line, `listen ${listen.port}`, `${key} already sends its traffic to ${taken}: Fulcrum does not route one port to several pools by server_name`);
    return;
  }
  scope.bound.set(pool, listen.line);
  scope.ports.set(key, pool.sourceName);
  pool.listen = listen;
  pool.mappings.push({ line: listen.line, directive: `listen ${listen.host}:${listen.port}`, message: `listen address ${key} (server at line ${d.line}, ${first.directive} at line ${first.line})` });
  for (const n of serverNames) draft.warn(n.line, `server_name ${n.args.join(' ')}`, `pool ${pool.sourceName} answers every host name on ${key}; server_name is not matched`);
  importTimeouts(pool, first.timeouts, context);
}

function importLocation(s: NginxDirective, timeouts: Timeouts, readProxyPass: (p: NginxDirective, t: Timeouts) => void, draft: ImportDraft): void {
  const path = s.args.join(' ');
  const inner: Timeouts = { ...timeouts };
  for (const l of s.block ?? []) readTimeout(l, inner, 'http');
  const proxies = (s.block ?? []).filter((l) => l.name === 'proxy_pass');
  if (path !== '/') {
    const what = proxies.length ? 'routing by path' : 'serving files or fixed answers';
    draft.unsupport(s.line, `location ${path}`, `${what} is not supported: a pool takes every request on its port`);
    return;
  }
  for (const l of s.block ?? []) {
    if (isTimeout(l, 'http')) continue;
    if (l.name === 'proxy_pass') readProxyPass(l, inner);
    else if (l.name === 'proxy_set_header') importSetHeader(l, draft);
    else if (l.name === 'include') refuseInclude(l);
    else draft.unsupport(l.line, l.name, 'no Fulcrum equivalent for this location setting; not imported');
  }
}

function importSetHeader(s: NginxDirective, draft: ImportDraft): void {
  const [name = '', value = ''] = s.args;
  if (COVERED_HEADERS.get(name.toLowerCase())?.test(value)) return;
  draft.unsupport(
    s.line,
    `proxy_set_header ${s.args.join(' ')}`,
    'custom request headers are not imported; Fulcrum forwards Host and sets X-Forwarded-For, X-Forwarded-Proto, X-Forwarded-Host and X-Real-IP itself',
  );
}

function readListen(s: NginxDirective, context: Context, draft: ImportDraft): { host: string; port: number; line: number } | null {
  const [address, ...params] = s.args;
  if (!address) throw new ConfigSyntaxError(s.line, 'invalid number of arguments in "listen" directive');
  if (address.startsWith('unix:')) {
    draft.unsupport(s.line, `listen ${address}`, 'a UNIX socket listener; pools listen on TCP addresses');
    return null;
  }
  const hp = /^\d+$/.test(address) ? { host: '0.0.0.0', port: Number(address) } : splitHostPort(address.replace(/^\*:/, '0.0.0.0:'), 80);
  if (!hp || hp.port < 1 || hp.port > 65535) throw new ConfigSyntaxError(s.line, `invalid port in "${address}" of the "listen" directive`);
  for (const p of params) {
    if (p === 'ssl') draft.unsupport(s.line, 'listen … ssl', 'TLS on this listener is not imported; the pool listens in plain HTTP');
    else if (p === 'udp') draft.unsupport(s.line, 'listen … udp', 'UDP is not proxied');
    else if (!['default_server', 'default', 'reuseport'].includes(p.split('=')[0]!)) draft.unsupport(s.line, `listen … ${p}`, 'listen option not imported');
  }
  if (context === 'stream' && params.includes('udp')) return null;
  return { host: hp.host, port: hp.port, line: s.line };
}

function importTimeouts(pool: PoolDraft, t: Timeouts, context: Context): void {
  if (t.connect)
    setPool(
      pool,
      'timeouts',
      { connectMs: t.connect.ms },
      { line: t.connect.line, directive: `proxy_connect_timeout ${formatDuration(t.connect.ms)}`, becomes: `connect timeout ${formatDuration(t.connect.ms)}` },
    );
  if (context === 'stream') {
    if (t.idle) setPool(pool, 'timeouts', { idleMs: t.idle.ms }, { line: t.idle.line, directive: `proxy_timeout ${formatDuration(t.idle.ms)}`, becomes: `idle timeout ${formatDuration(t.idle.ms)}` });
    return;
  }
  if (t.read)
    setPool(
      pool,
      'timeouts',
      { firstByteMs: t.read.ms },
      { line: t.read.line, directive: `proxy_read_timeout ${formatDuration(t.read.ms)}`, becomes: `first-byte timeout ${formatDuration(t.read.ms)}` },
    );
  if (t.send)
    setPool(pool, 'timeouts', { idleMs: t.send.ms }, { line: t.send.line, directive: `proxy_send_timeout ${formatDuration(t.send.ms)}`, becomes: `idle timeout ${formatDuration(t.send.ms)}` });
}
