import type { TSnapshotRoute } from './route';

/**
 * A listener's routes compiled for matching. The data plane runs it per request, the control
 * plane's "which route would this URL take" and the dashboard's table use the same order, so
 * what an operator sees is what traffic does.
 *
 * Order (first match wins):
 *  1. explicit `priority`, higher first;
 *  2. host: exact (`api.example.com`) > wildcard (`*.example.com`, the longer suffix first) > any;
 *  3. path: exact > prefix (the longer first, as NGINX's longest prefix) > regex (in declaration
 *     order, as NGINX tries `~` locations) > any path (prefix `/`). Unlike NGINX, a regex never
 *     beats a matching longer prefix of equal priority (NGINX's `^~` behaviour): give the regex a
 *     higher priority for that;
 *  4. more conditions (methods + headers + query parameters) first, as Traefik tries longer rules first;
 *  5. declaration order.
 * A route with several hosts takes each host's place in this order.
 */

export interface RouteRequest {
  /** normalizeHost of the Host header; undefined when absent or not a valid name. */
  host: string | undefined;
  /** normalizePath of the request target's path. */
  path: string;
  method: string;
  /** A header's first value, by lower-case name. */
  header(lowerName: string): string | undefined;
  /** The raw query after `?`, without it ('' when none). */
  query: string;
}

export type RegexCompiler = (source: string) => { test(s: string): boolean };

/** Paths longer than this never match a regex route: bounds the work a hostile target can cause. */
export const MAX_REGEX_SUBJECT = 2048;

interface Entry {
  route: TSnapshotRoute;
  index: number;
  priority: number;
  hostClass: 0 | 1 | 2;
  hostLength: number;
  /** For a wildcard entry: the suffix after `*.`. */
  suffix: string | undefined;
  exactHost: string | undefined;
  pathClass: 0 | 1 | 2 | 3;
  pathLength: number;
  conditions: number;
  test: (req: RouteRequest) => boolean;
}

const PATH_CLASS = { exact: 0, prefix: 1, regex: 2 } as const;

function compare(a: Entry, b: Entry): number {
  return (
    b.priority - a.priority ||
    a.hostClass - b.hostClass ||
    b.hostLength - a.hostLength ||
    a.pathClass - b.pathClass ||
    (a.pathClass === 1 ? b.pathLength - a.pathLength : 0) ||
    b.conditions - a.conditions ||
    a.index - b.index
  );
}

/** The conditions beyond the host, as one test built once per route. */
function routeTest(route: TSnapshotRoute, compileRegex: RegexCompiler): (req: RouteRequest) => boolean {
  const { path, methods, headers, query } = route.match;
  const value = path.value;
  const pathTest: (p: string) => boolean =
    path.type === 'exact'
      ? (p) => p === value
      : path.type === 'prefix'
        ? value === '/'
          ? () => true
          : (p) => p.startsWith(value)
        : (
            (re) => (p: string) =>
              p.length <= MAX_REGEX_SUBJECT && re.test(p)
          )(compileRegex(value));
  const methodSet = methods.length ? new Set(methods) : undefined;
  if (!methodSet && headers.length === 0 && query.length === 0) return (req) => pathTest(req.path);
  return (req) => {
    if (!pathTest(req.path)) return false;
    if (methodSet && !methodSet.has(req.method)) return false;
    for (const h of headers) {
      const v = req.header(h.name);
      if (v === undefined || (h.value !== undefined && v !== h.value)) return false;
    }
    if (query.length) {
      const params = parseQuery(req.query);
      for (const q of query) {
        const v = params.get(q.name);
        if (v === undefined || (q.value !== undefined && v !== q.value)) return false;
      }
    }
    return true;
  };
}

/** First value per name; a malformed %-escape leaves the raw text (never throws). */
export function parseQuery(raw: string): Map<string, string> {
  const out = new Map<string, string>();
  if (!raw) return out;
  for (const part of raw.split('&', 256)) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const name = decode(eq < 0 ? part : part.slice(0, eq));
    if (!out.has(name)) out.set(name, eq < 0 ? '' : decode(part.slice(eq + 1)));
  }
  return out;
}

function decode(s: string): string {
  const plus = s.includes('+') ? s.replace(/\+/g, ' ') : s;
  if (!plus.includes('%')) return plus;
  try {
    return decodeURIComponent(plus);
  } catch {
    return plus;
  }
}

export interface RouteMatchResult {
  route: TSnapshotRoute;
  /** Position in the match order (0 first). */
  rank: number;
}

/**
 * A stretch of a candidate list whose routes differ only by path prefix (same priority and host
 * rank, no method, header or query condition): in match order the longest matching prefix wins,
 * so one map lookup per distinct prefix length (longest first) finds it, instead of one test per
 * route. A listener with many prefix routes (one per service) costs about what one route costs.
 */
interface PrefixRun {
  /** Distinct prefix lengths, longest first. */
  lengths: number[];
  /** The first entry in match order for each prefix. */
  byPrefix: Map<string, Entry>;
}

/** A run shorter than this is tested route by route (a few startsWith beat map lookups). */
const MIN_PREFIX_RUN = 4;

type Step = { entry: Entry; run: undefined } | { entry: undefined; run: PrefixRun };

const plainPrefix = (e: Entry) => e.pathClass === 1 && e.conditions === 0;
const sameRank = (a: Entry, b: Entry) => a.priority === b.priority && a.hostClass === b.hostClass && a.hostLength === b.hostLength;

/** A candidate list (in match order) as steps: single routes, and prefix runs looked up at once. */
function compileSteps(list: readonly Entry[]): Step[] {
  const steps: Step[] = [];
  let run: Entry[] = [];
  const flush = () => {
    if (run.length >= MIN_PREFIX_RUN) {
      const byPrefix = new Map<string, Entry>();
      for (const e of run) if (!byPrefix.has(e.route.match.path.value)) byPrefix.set(e.route.match.path.value, e);
      const lengths = [...new Set(run.map((e) => e.pathLength))].sort((a, b) => b - a);
      steps.push({ entry: undefined, run: { lengths, byPrefix } });
    } else for (const e of run) steps.push({ entry: e, run: undefined });
    run = [];
  };
  for (const e of list) {
    if (plainPrefix(e) && (run.length === 0 || sameRank(run[0]!, e))) {
      run.push(e);
      continue;
    }
    flush();
    if (plainPrefix(e)) run.push(e);
    else steps.push({ entry: e, run: undefined });
  }
  flush();
  return steps;
}

function lookupPrefix(run: PrefixRun, path: string): Entry | undefined {
  for (const length of run.lengths) {
    if (path.length < length) continue;
    const e = run.byPrefix.get(length === path.length ? path : path.slice(0, length));
    if (e) return e;
  }
  return undefined;
}

export class RouteTable {
  /** Every entry in match order (for the dashboard and the control plane's dry run). */
  readonly ordered: readonly Entry[];
  private readonly byExactHost = new Map<string, Step[]>();
  private readonly byWildcard = new Map<string, Step[]>();
  private readonly anyHost: Step[];
  private readonly rank = new Map<Entry, number>();
  private readonly wildcardDepth: number;
  /**
   * The route that takes every request, when the first in order has no host, no path but `/`
   * and no other condition (a pool's own listener): `match` would return it for any request.
   */
  readonly takesEvery: TSnapshotRoute | undefined;

  constructor(routes: readonly TSnapshotRoute[], compileRegex: RegexCompiler) {
    const entries: Entry[] = [];
    routes.forEach((route, index) => {
      const test = routeTest(route, compileRegex);
      const { path, methods, headers, query } = route.match;
      const base = {
        route,
        index,
        priority: route.priority,
        pathClass: path.type === 'prefix' && path.value === '/' ? (3 as const) : PATH_CLASS[path.type],
        pathLength: path.value.length,
        conditions: (methods.length ? 1 : 0) + headers.length + query.length,
        test,
      };
      if (route.match.hosts.length === 0) entries.push({ ...base, hostClass: 2, hostLength: 0, suffix: undefined, exactHost: undefined });
      for (const h of route.match.hosts) {
        if (h.startsWith('*.')) entries.push({ ...base, hostClass: 1, hostLength: h.length, suffix: h.slice(2), exactHost: undefined });
        else entries.push({ ...base, hostClass: 0, hostLength: h.length, suffix: undefined, exactHost: h });
      }
    });
    entries.sort(compare);
    this.ordered = entries;
    const first = entries[0];
    this.takesEvery = first && first.hostClass === 2 && first.pathClass === 3 && first.conditions === 0 ? first.route : undefined;
    entries.forEach((e, i) => this.rank.set(e, i));
    // Candidates per host: a host's entries are the exact ones for it, the wildcards it falls
    // under and the any-host ones, in match order. Precomputed per exact name and per wildcard
    // suffix; a host under several wildcards picks the longest, whose list holds the others
    // (they are suffixes of it).
    const keep = (accept: (e: Entry) => boolean) => compileSteps(dedupe(entries.filter(accept)));
    const under = (host: string, suffix: string) => host.endsWith(`.${suffix}`);
    this.anyHost = keep((e) => e.hostClass === 2);
    let depth = 0;
    for (const e of entries) {
      if (e.exactHost !== undefined && !this.byExactHost.has(e.exactHost)) {
        const host = e.exactHost;
        this.byExactHost.set(
          host,
          keep((x) => x.hostClass === 2 || x.exactHost === host || (x.suffix !== undefined && under(host, x.suffix))),
        );
      }
      if (e.suffix !== undefined && !this.byWildcard.has(e.suffix)) {
        const suffix = e.suffix;
        depth = Math.max(depth, suffix.split('.').length);
        this.byWildcard.set(
          suffix,
          keep((x) => x.hostClass === 2 || (x.suffix !== undefined && (x.suffix === suffix || under(suffix, x.suffix)))),
        );
      }
    }
    this.wildcardDepth = depth;
  }

  /** The candidates for a host, in match order. */
  private candidates(host: string | undefined): Step[] {
    if (host === undefined) return this.anyHost;
    const exact = this.byExactHost.get(host);
    if (exact) return exact;
    if (this.byWildcard.size > 0) {
      // Longest suffix first: skip labels from the left, never the whole name (`*.a.b` does not match `a.b`).
      let dot = host.indexOf('.');
      while (dot >= 0) {
        const suffix = host.slice(dot + 1);
        if (suffix.split('.').length <= this.wildcardDepth) {
          const list = this.byWildcard.get(suffix);
          if (list) return list;
        }
        dot = host.indexOf('.', dot + 1);
      }
    }
    return this.anyHost;
  }

  match(req: RouteRequest): RouteMatchResult | undefined {
    for (const step of this.candidates(req.host)) {
      const e = step.entry ? (step.entry.test(req) ? step.entry : undefined) : lookupPrefix(step.run, req.path);
      if (e) return { route: e.route, rank: this.rank.get(e)! };
    }
    return undefined;
  }
}

function dedupe(list: Entry[]): Entry[] {
  const seen = new Set<TSnapshotRoute>();
  return list.filter((e) => (seen.has(e.route) ? false : (seen.add(e.route), true)));
}

/**
 * The Host header as routes compare it: lower-case, without port or trailing dot. Undefined
 * when absent, longer than a DNS name can be, or not a name or address, so a hostile Host can
 * only ever reach routes that match any host.
 */
export function normalizeHost(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.length === 0 || raw.length > 262) return undefined;
  let host = raw;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    if (end < 0) return undefined;
    const rest = host.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    return host.slice(0, end + 1).toLowerCase();
  }
  const colon = host.indexOf(':');
  if (colon >= 0) {
    if (!/^\d{1,5}$/.test(host.slice(colon + 1))) return undefined;
    host = host.slice(0, colon);
  }
  if (host.endsWith('.')) host = host.slice(0, -1);
  if (host.length === 0 || host.length > 253 || !/^[A-Za-z0-9.-]+$/.test(host) || host.includes('..')) return undefined;
  return host.toLowerCase();
}

const UNRESERVED = /%(2[DEde]|3[0-9]|4[1-9A-Fa-f]|5[0-9Aa]|5[Ff]|6[1-9A-Fa-f]|7[0-9Aa]|7[Ee])/g;

/**
 * The path routes compare: %-escapes of unreserved characters decoded (`/%61dmin` is `/admin`),
 * `.` and `..` segments resolved and repeated slashes merged (NGINX's defaults), so a route that
 * guards `/admin` cannot be walked around by spelling. Other escapes (`%2F`) stay as they are.
 */
export function normalizePath(path: string): string {
  let p = path.includes('%') ? path.replace(UNRESERVED, (e) => String.fromCharCode(parseInt(e.slice(1), 16))) : path;
  if (!p.includes('//') && !p.includes('/.')) return p;
  const out: string[] = [];
  const segments = p.split('/');
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!;
    if (s === '..') out.pop();
    else if (s !== '.' && (s !== '' || i === segments.length - 1)) out.push(s);
    else if ((s === '.' || s === '') && i === segments.length - 1) out.push('');
  }
  p = `/${out.join('/')}`;
  return p;
}

/** Splits a request target into the normalized path routes compare and the raw query. */
export function splitTarget(url: string): { path: string; query: string } {
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  // An absolute-form target (`http://host/path`) routes on its path.
  const path = rawPath.startsWith('/') ? rawPath : rawPath.replace(/^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/]*/, '') || '/';
  return { path: normalizePath(path), query: q < 0 ? '' : url.slice(q + 1) };
}
