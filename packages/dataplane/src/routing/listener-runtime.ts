import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import { eventClock } from '../io/event-clock';
import { STATUS_CODES } from 'node:http';
import {
  ACCESS_LOG_DEFAULTS,
  type RouteRequest,
  RouteTable,
  type TAccessRecord,
  type TListenerAnswer,
  type TSnapshotListener,
  type TSnapshotPool,
  type TSnapshotRoute,
  type TTimeouts,
  normalizeHost,
  splitTarget,
} from '@fulcrum/protocol';
import type { AccessLog } from '../access-log/access-log';
import { logTime, roundMs } from '../access-log/access-record';
import type { OutlierDetector } from '../health/outlier-detector';
import type { ClientRequest, ClientResponse } from '../http/client-exchange';
import { fieldBytes, fieldText, isFieldValue } from '../http/field-syntax';
import { isTrustedPeer } from '../http/headers';
import { type RouteEffects, type UpgradeTarget, proxyHttpRequest } from '../http/http-proxy';
import { clientRequestId, requestIdOf } from '../http/request-id';
import type { PoolRuntime } from '../runtime/pool-runtime';
import type { ListenerStats } from '../stats/listener-stats';
import type { PoolStats } from '../stats/pool-stats';
import { type CompiledRule, type RouteVariables, type Template, applyHeaderRules, compileRules, compileTemplate } from './header-rules';
import type { RateLimiter } from './rate-limiter';
import { compileRouteRegex } from './route-regex';
import type { ListenerCertificates } from '../tls/listener-certificates';
import type { AcmeChallengeAnswers } from '../acme/acme-challenge-answers';

/** One route as it runs: its pool (resolved once), its compiled templates and its rate limiter. */
class RouteRuntime {
  readonly requestRules: CompiledRule[];
  readonly responseRules: CompiledRule[];
  readonly location: Template | undefined;
  readonly fixedBody: Buffer | undefined;
  /** The fixed answer's Content-Type, as bytes (see `fieldBytes`). */
  readonly fixedType: string | undefined;
  /** Whether a proxied request needs a RouteEffects at all (most routes change nothing). */
  readonly changesExchange: boolean;

  constructor(
    readonly config: TSnapshotRoute,
    readonly pool: PoolRuntime | undefined,
    readonly limiter: RateLimiter | undefined,
  ) {
    this.requestRules = compileRules(config.headers.request);
    this.responseRules = compileRules(config.headers.response);
    this.location = config.action.type === 'redirect' ? compileTemplate(config.action.location) : undefined;
    this.fixedBody = config.action.type === 'fixed' ? Buffer.from(config.action.body) : undefined;
    this.fixedType = config.action.type === 'fixed' ? fieldBytes(config.action.contentType) : undefined;
    this.changesExchange = this.requestRules.length > 0 || this.responseRules.length > 0 || config.rewrite !== undefined || config.timeouts !== undefined;
  }

  timeouts(pool: TTimeouts): TTimeouts {
    const o = this.config.timeouts;
    if (!o) return pool;
    const tunnelMs = o.tunnelMs ?? pool.tunnelMs;
    return { connectMs: o.connectMs ?? pool.connectMs, firstByteMs: o.firstByteMs ?? pool.firstByteMs, idleMs: o.idleMs ?? pool.idleMs, ...(tunnelMs === undefined ? {} : { tunnelMs }) };
  }

  /** The request target after the route's rewrite (the query kept as sent). */
  rewrite(path: string, query: string, original: string): string {
    const rw = this.config.rewrite;
    if (!rw) return original;
    const m = this.config.match.path;
    const rest = m.type === 'prefix' ? path.slice(m.value.length) : '';
    let next: string;
    if (rw.type === 'strip_prefix') next = rest.startsWith('/') ? rest : `/${rest}`;
    else if (m.type !== 'prefix') next = rw.value;
    else next = rw.value.endsWith('/') && rest.startsWith('/') ? rw.value + rest.slice(1) : rest === '' || rest.startsWith('/') || rw.value.endsWith('/') ? rw.value + rest : `${rw.value}/${rest}`;
    return query ? `${next}?${query}` : next;
  }
}

/** What one request carries into a route's effects; built only for routes that change the exchange. */
class RoutedExchange implements RouteEffects {
  constructor(
    readonly url: string,
    readonly timeouts: TTimeouts,
    private readonly route: RouteRuntime,
    private readonly vars: RouteVariables,
  ) {}

  get editsRequest(): boolean {
    return this.route.requestRules.length > 0;
  }

  editRequestHeaders(headers: string[], requestId: string): void {
    if (this.route.requestRules.length === 0) return;
    this.vars.request_id = requestId;
    applyHeaderRules(headers, this.route.requestRules, this.vars);
  }

  get editsResponse(): boolean {
    return this.route.responseRules.length > 0;
  }

  editResponseHeaders(headers: string[], requestId: string): boolean {
    if (this.route.responseRules.length === 0) return false;
    this.vars.request_id = requestId;
    applyHeaderRules(headers, this.route.responseRules, this.vars);
    return true;
  }
}

export interface ListenerRuntimeDeps {
  pools: ReadonlyMap<string, PoolRuntime>;
  /** The route's limiter, kept across snapshots while its rate limit is unchanged. */
  limiter: (route: TSnapshotRoute) => RateLimiter | undefined;
  outliers: OutlierDetector;
  /** The listener's own answers, kept per listener id across snapshots. */
  answers: ListenerStats;
  access?: AccessLog;
  /** An https listener's certificates, built from the snapshot (throws when one is missing or unusable). */
  certificates?: (listener: TSnapshotListener) => ListenerCertificates | undefined;
  /** The pending ACME HTTP-01 challenges, answered on http listeners before any route. */
  acme?: AcmeChallengeAnswers;
}

/**
 * A listener as it runs: its routes compiled into a table (see route-table.ts for the order)
 * and each route's action. Built whole from a snapshot, beside the running one; compiling throws
 * (a regex the linear engine refuses) and the listener is refused with the reason.
 */
export class ListenerRuntime {
  readonly table: RouteTable;
  private readonly routes = new Map<TSnapshotRoute, RouteRuntime>();
  /** Connection-level counters (accepted, the listener's own 400/408/431) go to the pool of its first pool route. */
  readonly stats: PoolStats | undefined;
  private readonly outliers: OutlierDetector;
  /** What the listener answered itself (no route, redirects, fixed responses): never a pool's. */
  readonly answers: ListenerStats;
  private readonly access: AccessLog | undefined;
  /** Whose access-log settings the listener's own answers follow: its first pool's (as its refusals), else the defaults. */
  private readonly logPool: TSnapshotPool | undefined;
  /** https only: the certificates its handshakes choose from. */
  readonly certificates: ListenerCertificates | undefined;
  /** http only: HTTP-01 is answered on plain HTTP (RFC 8555 §8.3), ahead of every route, a redirect to https included. */
  private readonly acme: AcmeChallengeAnswers | undefined;
  /** The route that takes every request, when the table has one (RouteTable.takesEvery). */
  private readonly takesEvery: RouteRuntime | undefined;

  constructor(
    readonly config: TSnapshotListener,
    deps: ListenerRuntimeDeps,
  ) {
    this.outliers = deps.outliers;
    this.answers = deps.answers;
    this.access = deps.access;
    this.acme = config.protocol === 'http' ? deps.acme : undefined;
    this.certificates = config.protocol === 'https' ? deps.certificates?.(config) : undefined;
    if (config.protocol === 'https' && !this.certificates) throw new Error('an https listener needs its certificates');
    this.table = new RouteTable(config.routes, (source) => compileRouteRegex(source));
    for (const r of config.routes) this.routes.set(r, new RouteRuntime(r, r.action.type === 'pool' ? deps.pools.get(r.action.poolId) : undefined, deps.limiter(r)));
    this.takesEvery = this.table.takesEvery && this.routes.get(this.table.takesEvery);
    const first = config.routes.find((r) => r.action.type === 'pool');
    const firstPool = first?.action.type === 'pool' ? deps.pools.get(first.action.poolId) : undefined;
    this.stats = firstPool?.stats;
    this.logPool = firstPool?.config;
  }

  /** Pool ids its routes send to (a listener that cannot open is reported under them). */
  poolIds(): string[] {
    return [...new Set(this.config.routes.flatMap((r) => (r.action.type === 'pool' ? [r.action.poolId] : [])))];
  }

  /** The pool a TCP listener forwards to. */
  tcpPool(): PoolRuntime | undefined {
    const only = this.config.routes[0];
    return only ? this.routes.get(only)?.pool : undefined;
  }

  /** The client address as routes read it: a trusted proxy's X-Real-IP, else the peer. */
  private clientIp(req: ClientRequest): string {
    if (!isTrustedPeer(this.config.http.trustedProxies, req.clientIp)) return req.clientIp;
    const real = req.header('x-real-ip')?.trim();
    return real || req.clientIp;
  }

  /** Routes one request and carries out the route's action. */
  serve(req: ClientRequest, res: ClientResponse, upgrade?: UpgradeTarget): void {
    // The read that brought the request stamped it (a clock reading costs as much as a small parse).
    const t0 = eventClock.now();
    // A listener whose first route takes every request (a pool's own listener) matches nothing:
    // the target and Host are read only if the route needs them.
    const every = this.takesEvery;
    if (every !== undefined && (this.acme === undefined || this.acme.size === 0)) return this.carryOut(every, req, res, upgrade, t0, undefined);
    const probe = this.probe(req);
    if (this.acme && !upgrade && (req.method === 'GET' || req.method === 'HEAD')) {
      const keyAuthorization = this.acme.answer(probe.path);
      if (keyAuthorization !== undefined) {
        const body = Buffer.from(keyAuthorization);
        answer(req, res, 200, 'text/plain', body, []);
        return this.answered(req, t0, 200, 'acme_challenge', 'normal', '', body.length);
      }
    }
    const matched = this.table.match(probe);
    if (!matched) {
      answer(req, res, 404, 'text/plain; charset=utf-8', Buffer.from('no route for this request\n'), ['X-Fulcrum-Error', 'no route matches this request']);
      return this.answered(req, t0, 404, 'no_route', undefined, '');
    }
    this.carryOut(this.routes.get(matched.route)!, req, res, upgrade, t0, probe);
  }

  /**
   * The request as routes read it: normalized Host, path and query, and header values as text
   * (configured values are text; the client's are bytes, read as UTF-8 where they are).
   */
  private probe(req: ClientRequest): RouteRequest {
    const { path, query } = splitTarget(req.url);
    return {
      host: normalizeHost(req.header('host')),
      path,
      query,
      method: req.method,
      header: (n) => {
        const v = req.header(n);
        return v === undefined ? undefined : fieldText(v);
      },
    };
  }

  /** Carries out a route's action; `probe` is the request as routing read it, read here if it was not. */
  private carryOut(route: RouteRuntime, req: ClientRequest, res: ClientResponse, upgrade: UpgradeTarget | undefined, t0: number, probe: RouteRequest | undefined): void {
    const pool = route.pool;
    const limiter = route.limiter;
    if (limiter) {
      const k = limiter.config.key;
      const key = k.source === 'route' ? '' : k.source === 'header' ? (req.header(k.name!.toLowerCase()) ?? '') : this.clientIp(req);
      const wait = limiter.take(key);
      if (wait > 0) {
        answer(req, res, 429, 'text/plain; charset=utf-8', Buffer.from('rate limited\n'), ['Retry-After', String(wait)]);
        // A route to a pool limits that pool's clients: the pool counts and logs it; any other route's limit is the listener's.
        if (pool) {
          pool.stats.proxyAnswer(429, 'rate_limited');
          return this.logged(pool.config, req, t0, 429, 'rate_limited', '');
        }
        return this.answered(req, t0, 429, 'rate_limited', 'rate_limited', '');
      }
    }
    const action = route.config.action;
    if (action.type === 'pool') {
      if (!pool) {
        answer(req, res, 503, 'text/plain; charset=utf-8', Buffer.from('pool is being reconfigured\n'), ['X-Fulcrum-Error', 'pool is being reconfigured']);
        return this.answered(req, t0, 503, 'reconfiguring', 'reconfiguring', '');
      }
      let effects: RoutedExchange | undefined;
      if (route.changesExchange) {
        const { host, path, query } = probe ?? this.probe(req);
        effects = new RoutedExchange(route.rewrite(path, query, req.url), route.timeouts(pool.config.timeouts), route, this.variables(req, host, path));
      }
      return proxyHttpRequest(pool, req, res, this.outliers, upgrade, effects);
    }
    const { host, path } = probe ?? this.probe(req);
    if (action.type === 'redirect') {
      const vars = this.variables(req, host, path);
      vars.request_id = requestIdOf(req);
      const location = route.location!(vars);
      // A variable from the client that would break the header line leaves the redirect unsent.
      if (!isFieldValue(location)) {
        answer(req, res, 400, 'text/plain; charset=utf-8', Buffer.from('bad request\n'), []);
        return this.answered(req, t0, 400, 'bad_redirect', 'refused', vars.request_id);
      }
      // The location is bytes, a character each (see compileTemplate).
      const body = Buffer.from(`${location}\n`, 'latin1');
      answer(req, res, action.status, 'text/plain; charset=utf-8', body, ['Location', location]);
      return this.answered(req, t0, action.status, 'redirect', 'normal', vars.request_id, body.length);
    }
    const headers = ['X-Request-Id', requestIdOf(req)];
    if (route.responseRules.length) applyHeaderRules(headers, route.responseRules, { ...this.variables(req, host, path), request_id: headers[1]! });
    answer(req, res, action.status, route.fixedType!, route.fixedBody!, headers);
    this.answered(req, t0, action.status, 'fixed', 'normal', headers[1]!, route.fixedBody!.length);
  }

  /** Counts an answer the listener gave itself and logs it (under its first pool's access-log settings). */
  private answered(req: ClientRequest, t0: number, status: number, kind: TListenerAnswer, termination: TAccessRecord['termination'] | undefined, requestId: string, bytesOut = 0): void {
    this.answers.answered(status, kind);
    const access = this.access;
    if (!access?.writer) return;
    const settings = this.logPool?.accessLog ?? ACCESS_LOG_DEFAULTS;
    access.recordAnswer(settings, this.record(req, t0, status, termination ?? (kind === 'no_route' ? 'no_route' : 'normal'), requestId, bytesOut, undefined));
  }

  /** A route's answer on a pool's behalf (its rate limit): logged and tailed as the pool's. */
  private logged(pool: TSnapshotPool, req: ClientRequest, t0: number, status: number, termination: TAccessRecord['termination'], requestId: string): void {
    const access = this.access;
    if (access?.wants(pool)) access.record(pool, this.record(req, t0, status, termination, requestId, 0, pool));
  }

  private record(req: ClientRequest, t0: number, status: number, termination: TAccessRecord['termination'], requestId: string, bytesOut: number, pool: TSnapshotPool | undefined): TAccessRecord {
    return {
      time: logTime(),
      pool: pool?.name ?? '',
      poolId: pool?.id ?? '',
      clientIp: this.clientIp(req).slice(0, 64),
      method: req.method,
      protocol: req.protocol,
      host: req.header('host') ?? '',
      path: req.url,
      status,
      bytesIn: 0,
      bytesOut,
      durationMs: roundMs(performance.now() - t0),
      upstream: '',
      connectMs: -1,
      firstByteMs: -1,
      attempts: 0,
      requestId: requestId || (clientRequestId(req) ?? ''),
      termination,
      userAgent: req.header('user-agent') ?? '',
      referer: req.header('referer') ?? '',
      listener: this.config.name,
    };
  }

  private variables(req: ClientRequest, host: string | undefined, path: string): RouteVariables {
    return { client_ip: this.clientIp(req), host: host ?? '', scheme: req.secure ? 'https' : 'http', request_id: '', request_uri: req.url, path };
  }
}

/** An answer the route gives itself (redirect, fixed response, 404, 429). */
function answer(req: ClientRequest, res: ClientResponse, status: number, contentType: string, body: Buffer, extra: string[]): void {
  const headers = ['Content-Type', contentType, 'Content-Length', String(body.length), ...extra];
  if (!res.writeHead(status, STATUS_CODES[status] ?? 'Unknown', headers)) {
    res.destroy();
    return;
  }
  if (req.method === 'HEAD') res.end();
  else res.end(body);
}
