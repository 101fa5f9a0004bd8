import type { TBackendConfigInput, THashKey } from '@fulcrum/protocol';
import { ConfigSyntaxError } from './config-syntax-error';
import { formatDuration, parseHaproxyTime } from './durations';
import { type ImportDraft, type PoolDraft, setPool } from './import-draft';
import { type HaproxyLine, type HaproxySection, parseHaproxy } from './haproxy-parser';
import { splitHostPort } from './listen-address';

/** Keywords of a backend (or defaults) section the importer turns into pool settings. */
const POOL_KEYWORDS = new Set(['mode', 'balance', 'hash-type', 'option httpchk', 'http-check', 'cookie', 'timeout', 'default-server', 'retries', 'server', 'option forwardfor']);
/** Server keywords that take a value the importer does not read: skipped with their value. */
const SERVER_VALUED = new Set([
  'addr',
  'agent-inter',
  'agent-port',
  'agent-send',
  'alpn',
  'ca-file',
  'check-sni',
  'ciphers',
  'crt',
  'downinter',
  'error-limit',
  'fastinter',
  'id',
  'init-addr',
  'maxqueue',
  'minconn',
  'namespace',
  'observe',
  'on-error',
  'on-marked-down',
  'on-marked-up',
  'pool-max-conn',
  'pool-purge-delay',
  'port',
  'proto',
  'redir',
  'resolve-prefer',
  'resolvers',
  'sni',
  'source',
  'track',
  'verify',
]);

interface Timeouts {
  connect?: { ms: number; line: number };
  server?: { ms: number; line: number };
  client?: { ms: number; line: number };
  check?: { ms: number; line: number };
  httpRequest?: { ms: number; line: number };
  tunnel?: { ms: number; line: number };
}

interface CheckParams {
  inter?: { ms: number; line: number };
  rise?: { n: number; line: number };
  fall?: { n: number; line: number };
}

interface ProxyState {
  timeouts: Timeouts;
  defaultServer: CheckParams & { words: string[]; line: number };
  checks: { line: number; params: CheckParams }[];
  hashConsistent: boolean;
  warnedCookie?: boolean;
  balance?: HaproxyLine;
  httpchk?: HaproxyLine;
  expect?: HaproxyLine;
}

/**
 * Turns a haproxy.cfg into pools: each `backend` (and `listen`) a pool, with `defaults` applied
 * as HAProxy applies them, and the `frontend` whose `default_backend` names it giving its
 * listen address. Syntax errors throw ConfigSyntaxError; the rest lands in the draft.
 */
export function importHaproxy(text: string, draft: ImportDraft): void {
  const sections = parseHaproxy(text);
  const pools = new Map<string, { pool: PoolDraft; state: ProxyState }>();
  let defaults: HaproxySection | null = null;
  const frontends: { section: HaproxySection; defaults: HaproxySection | null }[] = [];

  for (const section of sections) {
    switch (section.kind) {
      case 'defaults':
        defaults = section;
        for (const l of section.lines) {
          if (!POOL_KEYWORDS.has(keywordOf(l)) && !isFrontendKeyword(l)) noteUnsupported(l, 'defaults', draft);
        }
        break;
      // biome-ignore lint/suspicious/noFallthroughSwitchClause: a listen section with servers goes on as a backend
      case 'listen':
        if (!section.lines.some((l) => l.words[0] === 'server')) {
          draft.unsupport(
            section.line,
            `listen ${section.name}`,
            section.lines.some((l) => l.words[0] === 'stats') ? "HAProxy's stats page; Fulcrum's dashboard and /metrics show the same numbers" : 'a listen section without servers; not imported',
          );
          break;
        }
      // falls through: a listen section with servers is a frontend and a backend in one
      case 'backend': {
        const pool = draft.addPool(section.name, section.line, `${section.kind} ${section.name}`);
        const state = importProxy(section, defaults, pool, draft);
        pools.set(section.name, { pool, state });
        if (section.kind === 'listen') frontends.push({ section, defaults });
        break;
      }
      case 'frontend':
        frontends.push({ section, defaults });
        break;
      case 'global':
        for (const l of section.lines) draft.unsupport(l.line, l.words.join(' '), "a setting of the HAProxy process itself; Fulcrum's data plane is configured apart");
        break;
      default:
        draft.unsupport(section.line, `${section.kind} ${section.name}`, `HAProxy ${section.kind} sections have no Fulcrum equivalent; not imported`);
    }
  }
  const ports = new Map<string, string>();
  for (const f of frontends) importFrontend(f.section, f.defaults, pools, ports, draft);
  for (const { pool, state } of pools.values()) importTimeouts(pool, state.timeouts);
}

function keywordOf(l: HaproxyLine): string {
  const [first = '', second = ''] = l.words;
  if (first === 'option' || first === 'no') return `${first} ${second}`;
  return first;
}

function isFrontendKeyword(l: HaproxyLine): boolean {
  return ['bind', 'default_backend', 'use_backend'].includes(l.words[0]!) || (l.words[0] === 'timeout' && ['client', 'http-request'].includes(l.words[1] ?? ''));
}

function noteUnsupported(l: HaproxyLine, where: string, draft: ImportDraft): void {
  const keyword = keywordOf(l);
  const text = l.words.join(' ');
  if (/^(log|option (httplog|tcplog|dontlognull|httpslog|log-health-checks)|log-format)$/.test(keyword)) draft.unsupport(l.line, text, 'logging is not imported; Fulcrum has its own access log');
  else if (keyword === 'stats') draft.unsupport(l.line, text, "HAProxy's stats page; Fulcrum's dashboard and /metrics show the same numbers");
  else if (keyword === 'maxconn') draft.unsupport(l.line, text, 'a limit on client connections; Fulcrum limits connections per backend (maxconn on server lines)');
  else if (/^(acl|http-request|http-response|tcp-request|tcp-response)$/.test(keyword)) draft.unsupport(l.line, text, 'rules and ACLs are not imported');
  else draft.unsupport(l.line, text, `no Fulcrum equivalent in a ${where} section; not imported`);
}

function time(l: HaproxyLine, value: string | undefined): number {
  const ms = value === undefined ? null : parseHaproxyTime(value);
  if (ms === null) throw new ConfigSyntaxError(l.line, `'${l.words.slice(0, 2).join(' ')}' expects a time value, got '${value ?? ''}'`);
  return ms;
}

function int(l: HaproxyLine, keyword: string, value: string | undefined): number {
  if (value === undefined || !/^\d{1,9}$/.test(value)) throw new ConfigSyntaxError(l.line, `'${keyword}' expects an integer argument, got '${value ?? ''}'`);
  return Number(value);
}

function importProxy(section: HaproxySection, defaults: HaproxySection | null, pool: PoolDraft, draft: ImportDraft): ProxyState {
  const state: ProxyState = { timeouts: {}, defaultServer: { words: [], line: 0 }, checks: [], hashConsistent: false };
  const lines = [...(defaults?.lines ?? []).map((l) => ({ l, inherited: true })), ...section.lines.map((l) => ({ l, inherited: false }))];
  for (const { l, inherited } of lines) {
    const keyword = keywordOf(l);
    const [, a1, a2] = l.words;
    switch (keyword) {
      case 'mode':
        if (a1 !== 'http' && a1 !== 'tcp') throw new ConfigSyntaxError(l.line, `unknown proxy mode '${a1 ?? ''}'.`);
        setPool(pool, 'protocol', a1, { line: l.line, directive: `mode ${a1}`, becomes: `protocol ${a1}` });
        break;
      case 'balance':
        state.balance = l;
        break;
      case 'hash-type':
        state.hashConsistent = a1 === 'consistent';
        break;
      case 'option httpchk':
        state.httpchk = l;
        break;
      case 'http-check':
        if (a1 === 'expect') state.expect = l;
        else if (!inherited) draft.unsupport(l.line, l.words.join(' '), 'only "http-check expect" is imported');
        break;
      case 'cookie':
        importCookie(l, pool, draft);
        break;
      case 'timeout': {
        const key =
          a1 === 'connect' ? 'connect' : a1 === 'server' ? 'server' : a1 === 'client' ? 'client' : a1 === 'check' ? 'check' : a1 === 'http-request' ? 'httpRequest' : a1 === 'tunnel' ? 'tunnel' : null;
        if (key) state.timeouts[key] = { ms: time(l, a2), line: l.line };
        else if (!inherited) draft.unsupport(l.line, l.words.join(' '), 'this timeout has no Fulcrum equivalent; not imported');
        break;
      }
      case 'default-server':
        state.defaultServer = { ...state.defaultServer, ...readCheckParams(l, l.words.slice(1)), words: [...state.defaultServer.words, ...l.words.slice(1)], line: l.line };
        break;
      case 'retries': {
        const n = int(l, 'retries', a1);
        setPool(pool, 'retries', { attempts: n }, { line: l.line, directive: `retries ${n}`, becomes: `retries: ${n} attempts` });
        break;
      }
      case 'server':
        importServer(l, pool, state, draft);
        break;
      case 'option forwardfor':
        break;
      default:
        if (!inherited && !(section.kind === 'listen' && isFrontendKeyword(l))) noteUnsupported(l, section.kind, draft);
    }
  }
  if (pool.settings.protocol === undefined) {
    setPool(pool, 'protocol', 'tcp', { line: section.line, directive: 'no mode', becomes: "protocol tcp (HAProxy's mode when none is set)" });
  }
  importBalance(pool, state, draft);
  importHealthCheck(pool, state, draft);
  return state;
}

function readCheckParams(l: HaproxyLine, words: string[]): CheckParams {
  const out: CheckParams = {};
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === 'inter') out.inter = { ms: time(l, words[++i]), line: l.line };
    else if (w === 'rise') out.rise = { n: int(l, 'rise', words[++i]), line: l.line };
    else if (w === 'fall') out.fall = { n: int(l, 'fall', words[++i]), line: l.line };
  }
  return out;
}

function importServer(l: HaproxyLine, pool: PoolDraft, state: ProxyState, draft: ImportDraft): void {
  const [, name, address] = l.words;
  if (!name || !address) throw new ConfigSyntaxError(l.line, `'server' expects <name> and <addr>[:<port>] as arguments.`);
  const bare = address.replace(/^ipv[46]@/, '');
  const hp = splitHostPort(bare, null);
  if (!hp) {
    if (/:[+-]?\d+-\d+$|:[+-]\d+$/.test(bare) || !/:\d+$/.test(bare)) {
      draft.unsupport(l.line, `server ${name} ${address}`, 'a server without a fixed port (or with a port range or offset); Fulcrum backends have one port');
      return;
    }
    throw new ConfigSyntaxError(l.line, `'server ${name}' : invalid address: '${address}'`);
  }
  const config: TBackendConfigInput = { host: hp.host, port: hp.port };
  const words = [...state.defaultServer.words, ...l.words.slice(3)];
  const params: CheckParams = { ...pick(state.defaultServer), ...readCheckParams(l, l.words.slice(3)) };
  let check = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === 'weight') config.weight = int(l, 'weight', words[++i]);
    else if (w === 'maxconn') config.maxConnections = int(l, 'maxconn', words[++i]);
    else if (w === 'backup') config.backup = true;
    else if (w === 'disabled') config.adminState = 'disabled';
    else if (w === 'enabled') config.adminState = 'active';
    else if (w === 'check') check = true;
    else if (w === 'no-check') check = false;
    else if (w === 'inter' || w === 'rise' || w === 'fall') i++;
    else if (w === 'slowstart') {
      const ms = time(l, words[++i]);
      setPool(pool, 'slowStartMs', ms, { line: l.line, directive: `slowstart ${words[i]}`, becomes: `slow start ${formatDuration(ms)} (pool-wide)` });
    } else if (w === 'cookie') {
      i++;
      if (!state.warnedCookie)
        draft.warn(l.line, `cookie ${words[i] ?? ''}`, "Fulcrum writes its own values in the stickiness cookie: clients holding HAProxy's server cookie are balanced afresh once");
      state.warnedCookie = true;
    } else if (SERVER_VALUED.has(w)) {
      draft.unsupport(l.line, `${w} ${words[i + 1] ?? ''}`.trim(), 'server option not imported');
      i++;
    } else draft.unsupport(l.line, w, 'server option not imported');
  }
  if (config.weight === 0) {
    // HAProxy's weight 0 takes no new traffic: Fulcrum's drain.
    config.weight = 1;
    config.adminState = 'draining';
    draft.warn(l.line, 'weight 0', 'imported as a draining backend (weight 1): it takes no new traffic, as in HAProxy');
  }
  if (check) state.checks.push({ line: l.line, params });
  pool.backends.push({ line: l.line, config });
}

function pick(p: CheckParams): CheckParams {
  return { ...(p.inter ? { inter: p.inter } : {}), ...(p.rise ? { rise: p.rise } : {}), ...(p.fall ? { fall: p.fall } : {}) };
}

function importCookie(l: HaproxyLine, pool: PoolDraft, draft: ImportDraft): void {
  const [, name, ...opts] = l.words;
  if (!name) throw new ConfigSyntaxError(l.line, "'cookie' expects <cookie_name> as argument.");
  if (!opts.includes('insert')) {
    draft.unsupport(l.line, l.words.join(' '), 'only "cookie NAME insert" stickiness is imported (rewrite and prefix modes are not)');
    return;
  }
  const maxlife = opts.indexOf('maxlife');
  const ttlMs = maxlife >= 0 ? time(l, opts[maxlife + 1]) : null;
  const ttlSeconds = ttlMs === null ? undefined : Math.round(ttlMs / 1000);
  setPool(
    pool,
    'stickiness',
    { mode: 'cookie', cookieName: name, ...(ttlSeconds !== undefined ? { ttlSeconds } : {}) },
    {
      line: l.line,
      directive: l.words.join(' '),
      becomes: `stickiness by cookie ${name}${ttlSeconds !== undefined ? ` for ${ttlSeconds} s` : ''}`,
    },
  );
}

function hashKeyOf(args: string[]): THashKey | null {
  const [alg = '', ...rest] = args;
  if (alg === 'uri') return { source: 'path' };
  if (alg === 'source') return { source: 'client_ip' };
  const hdr = /^hdr\(([^)]+)\)$/.exec(alg);
  if (hdr) return { source: 'header', name: hdr[1]! };
  void rest;
  return null;
}

function importBalance(pool: PoolDraft, state: ProxyState, draft: ImportDraft): void {
  const l = state.balance;
  const weighted = pool.backends.some((b) => (b.config.weight ?? 1) !== 1);
  const set = (algorithm: Parameters<typeof setPool<'algorithm'>>[2], line: number, directive: string) => setPool(pool, 'algorithm', algorithm, { line, directive, becomes: `algorithm ${algorithm}` });
  const alg = l?.words[1] ?? 'roundrobin';
  const line = l?.line ?? pool.from.line;
  const directive = l ? l.words.join(' ') : 'balance roundrobin (HAProxy default)';
  if (alg === 'roundrobin' || alg === 'static-rr') return set(weighted ? 'weighted_round_robin' : 'round_robin', line, directive);
  if (alg === 'leastconn') return set(weighted ? 'weighted_least_connections' : 'least_connections', line, directive);
  if (alg === 'random' || alg === 'random(1)') return set('random', line, directive);
  if (/^random\(2\)$/.test(alg)) return set('p2c', line, directive);
  if (alg === 'source') {
    set('ip_hash', line, directive);
    if (!state.hashConsistent) return;
    setPool(pool, 'algorithm', 'consistent_hash', { line, directive: 'balance source + hash-type consistent', becomes: 'algorithm consistent_hash on the client IP' });
    setPool(pool, 'hashKey', { source: 'client_ip' }, { line, directive, becomes: 'hash key client_ip' });
    return;
  }
  const key = hashKeyOf(l!.words.slice(1));
  if (key) {
    set('consistent_hash', line, directive);
    setPool(pool, 'hashKey', key, { line, directive, becomes: `hash key ${key.source}${key.name ? ` ${key.name}` : ''}` });
    if (!state.hashConsistent) draft.warn(line, directive, 'without "hash-type consistent" HAProxy remaps most keys when a server changes; Fulcrum always uses a consistent ring');
    if (alg === 'uri' && !l!.words.includes('whole')) draft.warn(line, directive, 'HAProxy hashes the path without the query string unless "whole" is given; Fulcrum hashes the whole request URI');
    return;
  }
  if (['first', 'url_param', 'rdp-cookie'].includes(alg.replace(/\(.*$/, ''))) {
    draft.unsupport(line, directive, 'no Fulcrum equivalent for this balance algorithm; the pool keeps round robin');
    return set(weighted ? 'weighted_round_robin' : 'round_robin', line, 'balance roundrobin (fallback)');
  }
  throw new ConfigSyntaxError(line, `'balance' only supports 'roundrobin', 'static-rr', 'leastconn', 'source', 'uri', 'url_param', 'random', 'hdr(name)' and 'rdp-cookie(name)' options.`);
}

function importHealthCheck(pool: PoolDraft, state: ProxyState, draft: ImportDraft): void {
  const [first, ...rest] = state.checks;
  if (!first) {
    if (pool.backends.length) setPool(pool, 'healthCheck', { enabled: false }, { line: pool.from.line, directive: 'no server has "check"', becomes: 'active health checks off' });
    return;
  }
  const unchecked = pool.backends.length - state.checks.length;
  if (unchecked > 0) draft.warn(first.line, 'check', `${unchecked} server(s) without "check" will be health-checked too: Fulcrum checks every backend of a pool`);
  const differ = rest.find((c) => JSON.stringify(pick(c.params)) !== JSON.stringify(pick(first.params)));
  if (differ) draft.warn(differ.line, 'inter/rise/fall', `servers differ; the pool takes line ${first.line}'s check settings`);
  const hc: Record<string, unknown> = { enabled: true };
  // The check type is written only where it differs from what the pool's protocol implies.
  const protocol = pool.settings.protocol ?? 'http';
  const notes: string[] = [];
  if (state.httpchk) {
    const args = state.httpchk.words.slice(2);
    const [method, path] = args.length === 1 ? ['GET', args[0]!] : [args[0] ?? 'GET', args[1] ?? '/'];
    if (method.toUpperCase() !== 'GET') draft.warn(state.httpchk.line, `option httpchk ${method}`, 'Fulcrum health checks send GET');
    Object.assign(hc, protocol === 'tcp' ? { type: 'http', path } : { path });
    notes.push(`HTTP check GET ${path}`);
  } else {
    if (protocol === 'http') hc.type = 'tcp';
    notes.push('TCP connect check (HAProxy checks by connecting unless option httpchk is set)');
  }
  if (state.expect) importExpect(state.expect, hc, notes, draft);
  const p = first.params;
  if (p.inter) hc.intervalMs = p.inter.ms;
  if (p.rise) hc.rise = p.rise.n;
  if (p.fall) hc.fall = p.fall.n;
  if (state.timeouts.check) hc.timeoutMs = state.timeouts.check.ms;
  notes.push(`every ${formatDuration(p.inter?.ms ?? 2000)}, rise ${p.rise?.n ?? 2}, fall ${p.fall?.n ?? 3}${state.timeouts.check ? `, timeout ${formatDuration(state.timeouts.check.ms)}` : ''}`);
  setPool(pool, 'healthCheck', hc, { line: state.httpchk?.line ?? first.line, directive: state.httpchk ? state.httpchk.words.join(' ') : 'server … check', becomes: notes.join('; ') });
}

function importExpect(l: HaproxyLine, hc: Record<string, unknown>, notes: string[], draft: ImportDraft): void {
  const words = l.words.slice(2);
  if (words[0] === '!') {
    draft.unsupport(l.line, l.words.join(' '), 'negated expectations are not imported; the check expects 200-399');
    return;
  }
  const [kind, value = ''] = words;
  const range = /^(\d{3})(?:-(\d{3}))?$/.exec(value);
  if (kind === 'status' && range) {
    Object.assign(hc, { expectedStatusMin: Number(range[1]), expectedStatusMax: Number(range[2] ?? range[1]) });
    notes.push(`expects status ${value}`);
  } else if (kind === 'string' && value) {
    hc.bodyContains = value;
    notes.push(`expects the body to contain "${value}"`);
  } else draft.unsupport(l.line, l.words.join(' '), 'Fulcrum checks expect a status or a status range (and optionally a string in the body)');
}

function importFrontend(section: HaproxySection, defaults: HaproxySection | null, pools: Map<string, { pool: PoolDraft; state: ProxyState }>, ports: Map<string, string>, draft: ImportDraft): void {
  let bind: { host: string; port: number; line: number } | null = null;
  let target: { name: string; line: number } | null = section.kind === 'listen' ? { name: section.name, line: section.line } : null;
  let client: { ms: number; line: number } | undefined;
  for (const l of [...(defaults?.lines ?? []), ...section.lines]) if (l.words[0] === 'timeout' && l.words[1] === 'client') client = { ms: time(l, l.words[2]), line: l.line };
  for (const l of section.lines) {
    const [keyword, a1] = l.words;
    if (keyword === 'bind') {
      if (!a1) throw new ConfigSyntaxError(l.line, "'bind' expects [addr1]:port1[-end1]{,[addr]:port[-end]}... as arguments.");
      if (bind) {
        draft.unsupport(l.line, l.words.join(' '), `a pool listens on one address; line ${bind.line}'s is used`);
        continue;
      }
      const first = a1.split(',')[0]!.replace(/^ipv[46]@/, '');
      const hp = splitHostPort(first, null);
      if (!hp) {
        draft.unsupport(l.line, l.words.join(' '), 'only a single address:port is imported (not ranges, sockets or a bare address)');
        continue;
      }
      bind = { ...hp, line: l.line };
      if (a1.includes(',')) draft.unsupport(l.line, a1, `only the first address (${first}) is imported`);
      const opts = l.words.slice(2);
      if (opts.includes('ssl')) draft.unsupport(l.line, `${l.words.join(' ')}`, 'TLS on this listener is not imported; the pool listens in plain HTTP');
      else if (opts.length) draft.unsupport(l.line, opts.join(' '), 'bind options not imported');
    } else if (keyword === 'default_backend' || (keyword === 'use_backend' && l.words.length === 2)) {
      if (!a1) throw new ConfigSyntaxError(l.line, `'${keyword}' requires a backend name.`);
      if (target && section.kind !== 'listen') draft.unsupport(l.line, l.words.join(' '), `the frontend already sends its traffic to ${target.name} (line ${target.line})`);
      else target = { name: a1, line: l.line };
    } else if (keyword === 'use_backend') {
      draft.unsupport(l.line, l.words.join(' '), 'routing by condition (ACL) is not imported: all of the port goes to the default backend');
    } else if (section.kind === 'frontend' && !(keyword === 'timeout' && a1 === 'client') && keyword !== 'mode' && keyword !== 'option') {
      noteUnsupported(l, 'frontend', draft);
    } else if (section.kind === 'frontend' && keyword === 'option' && a1 !== 'forwardfor') noteUnsupported(l, 'frontend', draft);
  }
  if (!bind) {
    if (section.kind === 'frontend') draft.unsupport(section.line, `frontend ${section.name}`, 'a frontend without a bind address; not imported');
    return;
  }
  if (!target) {
    draft.unsupport(section.line, `frontend ${section.name}`, 'a frontend without default_backend; not imported');
    return;
  }
  const found = pools.get(target.name);
  if (!found) throw new ConfigSyntaxError(target.line, `unable to find required default_backend: '${target.name}'.`);
  const { pool } = found;
  const key = `${bind.host}:${bind.port}`;
  if (pool.listen) {
    draft.unsupport(bind.line, `bind ${key}`, `backend ${target.name} already listens at line ${pool.listen.line}'s address; a pool listens on one address`);
    return;
  }
  const taken = ports.get(key);
  if (taken !== undefined) {
    draft.unsupport(bind.line, `bind ${key}`, `${key} already sends its traffic to ${taken}`);
    return;
  }
  ports.set(key, target.name);
  pool.listen = bind;
  const via = section.kind === 'listen' ? `listen ${section.name}` : `frontend ${section.name}, default_backend at line ${target.line}`;
  pool.mappings.push({ line: bind.line, directive: `bind ${key}`, message: `listen address ${key} (${via})` });
  if (client) found.state.timeouts.client = client;
}

function importTimeouts(pool: PoolDraft, t: Timeouts): void {
  if (t.connect)
    setPool(
      pool,
      'timeouts',
      { connectMs: t.connect.ms },
      { line: t.connect.line, directive: `timeout connect ${formatDuration(t.connect.ms)}`, becomes: `connect timeout ${formatDuration(t.connect.ms)}` },
    );
  if (t.server)
    setPool(
      pool,
      'timeouts',
      { firstByteMs: t.server.ms },
      { line: t.server.line, directive: `timeout server ${formatDuration(t.server.ms)}`, becomes: `first-byte timeout ${formatDuration(t.server.ms)}` },
    );
  if (t.client)
    setPool(pool, 'timeouts', { idleMs: t.client.ms }, { line: t.client.line, directive: `timeout client ${formatDuration(t.client.ms)}`, becomes: `idle timeout ${formatDuration(t.client.ms)}` });
  if (t.tunnel)
    setPool(pool, 'timeouts', { tunnelMs: t.tunnel.ms }, { line: t.tunnel.line, directive: `timeout tunnel ${formatDuration(t.tunnel.ms)}`, becomes: `tunnel timeout ${formatDuration(t.tunnel.ms)}` });
  if (t.httpRequest)
    setPool(
      pool,
      'http',
      { headTimeoutMs: t.httpRequest.ms },
      { line: t.httpRequest.line, directive: `timeout http-request ${formatDuration(t.httpRequest.ms)}`, becomes: `request head timeout ${formatDuration(t.httpRequest.ms)}` },
    );
}
