import { z } from 'zod';
import { ZId, ZSlug, zIntRange, zMillis, zRequestPath, zToken } from './primitives';

/**
 * A route on a listener: what requests it takes (`match`), what it does with them (`action`),
 * and what it changes on the way (header rules, rewrite, rate limit, timeouts). The order in
 * which a listener's routes are tried is `compareRoutes` in route-order.ts.
 */

const labelPattern = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const isHostname = (h: string) => h.length <= 253 && h.split('.').every((l) => labelPattern.test(l));

/**
 * A host a route matches: an exact name (`api.example.com`) or a wildcard on every name below
 * a domain (`*.example.com`: `a.example.com` and `a.b.example.com`, not `example.com`), as
 * NGINX's `server_name *.example.com`. Lower-cased and without a trailing dot, as requests are
 * compared (see normalizeHost).
 */
export const ZHostPattern = z
  .string()
  .trim()
  .min(1, 'host is required')
  .max(253, 'host is at most 253 characters')
  .overwrite((h) => h.toLowerCase().replace(/\.$/, ''))
  .refine(
    (h) => (h.startsWith('*.') ? isHostname(h.slice(2)) && h.slice(2).includes('.') : !h.includes('*') && isHostname(h)),
    'host must be a name such as api.example.com or a wildcard such as *.example.com (only a leading *. and at least two labels after it)',
  );

/** Regexes are matched by a linear-time engine (see the data plane's route-regex.ts); these constructs need backtracking. */
const BACKTRACKING_ONLY: [RegExp, string][] = [
  [/\\[1-9]|\\k</, 'backreferences'],
  [/\(\?<?[=!]/, 'lookahead and lookbehind'],
  [/\{\s*\d{3,}/, 'repetition counts of 100 or more'],
];
export const MAX_ROUTE_REGEX = 256;

/** Why a route regex is refused, or undefined when it is fine (shared by the schema and the data plane's compile). */
export function routeRegexProblem(source: string): string | undefined {
  if (source.length > MAX_ROUTE_REGEX) return `regex is at most ${MAX_ROUTE_REGEX} characters`;
  for (const [pattern, what] of BACKTRACKING_ONLY) if (pattern.test(source)) return `regex may not use ${what} (routes match in linear time)`;
  try {
    new RegExp(source);
  } catch (err) {
    return `regex does not compile: ${err instanceof Error ? err.message : String(err)}`;
  }
  return undefined;
}

/**
 * Compiles a route's path regex for V8's linear-time engine (the `l` flag): no pattern can make
 * matching backtrack. The process must have enabled `--enable-experimental-regexp-engine`
 * (the data plane's and the control plane's route-regex modules do); without it this throws,
 * so a regex is refused rather than run by a backtracking engine.
 */
export function compileLinearRegex(source: string): RegExp {
  const problem = routeRegexProblem(source);
  if (problem) throw new Error(problem);
  try {
    return new RegExp(source, 'l');
  } catch (err) {
    throw new Error(`regex ${JSON.stringify(source)} cannot run in linear time: ${err instanceof Error ? err.message : String(err)}`);
  }
}

export const ZPathMatch = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('prefix'), value: zRequestPath('path prefix') }),
    z.object({ type: z.literal('exact'), value: zRequestPath('path') }),
    z.object({
      type: z.literal('regex'),
      value: z
        .string()
        .min(1, 'regex is required')
        .superRefine((v, ctx) => {
          const problem = routeRegexProblem(v);
          if (problem) ctx.addIssue({ code: 'custom', message: problem });
        }),
    }),
  ],
  { error: 'path type must be prefix, exact or regex' },
);
export type TPathMatch = z.infer<typeof ZPathMatch>;

const zMatchValue = (what: string) =>
  z
    .string()
    .max(1024, `${what} is at most 1024 characters`)
    .refine((v) => !/[\0-\x1f\x7f]/.test(v), `${what} may not hold control characters`);

export const ZHeaderMatch = z.object({
  name: zToken('header name').overwrite((n) => n.toLowerCase()),
  /** Absent: the header only has to be present. Compared exactly with the first value. */
  value: zMatchValue('header value').optional(),
});
export const ZQueryMatch = z.object({
  name: z.string().min(1, 'query parameter name is required').max(128, 'query parameter name is at most 128 characters'),
  /** Absent: the parameter only has to be present. Compared exactly with the first, decoded value. */
  value: zMatchValue('query value').optional(),
});

export const ZRouteMatch = z.object({
  /** Any of these hosts; empty: any host. */
  hosts: z.array(ZHostPattern).max(64, 'at most 64 hosts').default([]),
  path: ZPathMatch.default({ type: 'prefix', value: '/' }),
  /** Any of these methods; empty: any method. */
  methods: z
    .array(zToken('method').overwrite((m) => m.toUpperCase()))
    .max(16, 'at most 16 methods')
    .default([]),
  /** Every one of these must match. */
  headers: z.array(ZHeaderMatch).max(16, 'at most 16 header conditions').default([]),
  query: z.array(ZQueryMatch).max(16, 'at most 16 query conditions').default([]),
});
export type TRouteMatch = z.infer<typeof ZRouteMatch>;
export const CATCH_ALL_MATCH: TRouteMatch = { hosts: [], path: { type: 'prefix', value: '/' }, methods: [], headers: [], query: [] };

/** Variables a header rule's value may use; `$$` is a literal `$`. */
export const HEADER_VARIABLES = ['client_ip', 'host', 'scheme', 'request_id'] as const;
/** A redirect's location may use these too. */
export const REDIRECT_VARIABLES = [...HEADER_VARIABLES, 'request_uri', 'path'] as const;
export type TRouteVariable = (typeof REDIRECT_VARIABLES)[number];

/** A value with `$name` variables: refused when it names one it does not know (a typo would go out literally). */
function zTemplate(what: string, variables: readonly string[], max: number) {
  return z
    .string()
    .max(max, `${what} is at most ${max} characters`)
    .refine((v) => !/[\0-\x1f\x7f]/.test(v), `${what} may not hold control characters`)
    .superRefine((v, ctx) => {
      for (const m of v.matchAll(/\$(\$|[a-z_]*)/g)) {
        if (m[1] === '$' || variables.includes(m[1]!)) continue;
        ctx.addIssue({ code: 'custom', message: `${what} uses unknown variable $${m[1]} (known: ${variables.map((x) => `$${x}`).join(' ')}; $$ is a literal $)` });
        return;
      }
    });
}

/** Framing and connection headers are the proxy's alone (DESIGN.md, Trust). */
export const PROXY_OWNED_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te', 'trailer']);

export const ZHeaderRule = z
  .object({
    op: z.enum(['set', 'add', 'remove'], { error: 'op must be set, add or remove' }),
    name: zToken('header name'),
    value: zTemplate('header value', HEADER_VARIABLES, 1024).optional(),
  })
  .superRefine((r, ctx) => {
    if (PROXY_OWNED_HEADERS.has(r.name.toLowerCase())) ctx.addIssue({ code: 'custom', path: ['name'], message: `${r.name} is set by the proxy and cannot be changed by a rule` });
    if (r.op !== 'remove' && r.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: `a ${r.op} rule needs a value` });
  });
export type THeaderRule = z.infer<typeof ZHeaderRule>;

export const ZHeaderRules = z.object({
  /** Applied after the proxy's own forwarding headers, so a rule may override X-Real-IP and the like (NGINX proxy_set_header). */
  request: z.array(ZHeaderRule).max(32, 'at most 32 request header rules').default([]),
  /** Applied to the backend's answer (not to the proxy's own error pages). */
  response: z.array(ZHeaderRule).max(32, 'at most 32 response header rules').default([]),
});
export type THeaderRules = z.infer<typeof ZHeaderRules>;

/** strip_prefix: the matched prefix is removed (`/api/users` → `/users`); replace: the matched prefix (or, for exact and regex routes, the whole path) becomes `value`. The query is kept. */
export const ZRewrite = z.discriminatedUnion(
  'type',
  [z.object({ type: z.literal('strip_prefix') }), z.object({ type: z.literal('replace'), value: zRequestPath('rewrite value').refine((v) => !v.includes('?'), 'rewrite value may not hold a query') })],
  { error: 'rewrite type must be strip_prefix or replace' },
);
export type TRewrite = z.infer<typeof ZRewrite>;

export const ZRateLimit = z
  .object({
    /** Sustained rate the bucket refills at. */
    requestsPerSecond: z.number().positive('must be above 0').max(1_000_000, 'must be at most 1000000'),
    /** Bucket size: requests allowed at once after a quiet spell. */
    burst: zIntRange(1, 1_000_000),
    key: z
      .object({ source: z.enum(['client_ip', 'header', 'route'], { error: 'source must be client_ip, header or route' }).default('client_ip'), name: zToken('header name').optional() })
      .default({ source: 'client_ip' }),
  })
  .refine((r) => r.key.source !== 'header' || r.key.name !== undefined, { path: ['key', 'name'], message: 'a header key needs the header name' });
export type TRateLimit = z.infer<typeof ZRateLimit>;

export const ZRouteTimeouts = z.object({
  connectMs: zMillis(10, 600_000).optional(),
  firstByteMs: zMillis(10, 3_600_000).optional(),
  idleMs: zMillis(100, 3_600_000).optional(),
  tunnelMs: zMillis(100, 86_400_000).optional(),
});

export const REDIRECT_STATUSES = [301, 302, 307, 308] as const;
export const ZRouteAction = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('pool'), poolId: ZId }),
    z.object({
      type: z.literal('redirect'),
      status: z
        .union(
          REDIRECT_STATUSES.map((s) => z.literal(s)),
          { error: 'redirect status must be 301, 302, 307 or 308' },
        )
        .default(302),
      /** e.g. `https://$host$request_uri`. */
      location: zTemplate('location', REDIRECT_VARIABLES, 2048).pipe(z.string().min(1, 'location is required')),
    }),
    z.object({
      type: z.literal('fixed'),
      status: zIntRange(200, 599),
      body: z.string().max(65_536, 'body is at most 64 KiB').default(''),
      contentType: zMatchValue('content type').default('text/plain; charset=utf-8'),
    }),
  ],
  { error: 'action type must be pool, redirect or fixed' },
);
export type TRouteAction = z.infer<typeof ZRouteAction>;

const routeFields = {
  name: ZSlug,
  /** Higher first; equal priorities fall back to the most specific match (route-order.ts). */
  priority: zIntRange(-1000, 1000).default(0),
  match: ZRouteMatch.default(CATCH_ALL_MATCH),
  action: ZRouteAction,
  headers: ZHeaderRules.default({ request: [], response: [] }),
  rewrite: ZRewrite.optional(),
  rateLimit: ZRateLimit.optional(),
  /** Overrides the pool's timeouts for this route's requests. */
  timeouts: ZRouteTimeouts.optional(),
};

/** A route's fields without the checks across them (patches are built from this). */
export const ZRouteFields = z.object(routeFields);

type RouteShape = { match: TRouteMatch; action: TRouteAction; rewrite?: TRewrite; timeouts?: unknown; headers: THeaderRules };
export function checkRoute(r: RouteShape, ctx: z.RefinementCtx): void {
  if (r.action.type !== 'pool') {
    if (r.rewrite) ctx.addIssue({ code: 'custom', path: ['rewrite'], message: 'a rewrite needs a pool action' });
    if (r.timeouts) ctx.addIssue({ code: 'custom', path: ['timeouts'], message: 'timeouts need a pool action' });
    if (r.headers.request.length) ctx.addIssue({ code: 'custom', path: ['headers', 'request'], message: 'request header rules need a pool action' });
  }
  if (r.action.type === 'fixed' && (r.action.status === 204 || r.action.status === 304) && r.action.body !== '')
    ctx.addIssue({ code: 'custom', path: ['action', 'body'], message: `a ${r.action.status} answer has no body` });
  if (r.rewrite?.type === 'strip_prefix' && r.match.path.type !== 'prefix') ctx.addIssue({ code: 'custom', path: ['rewrite'], message: 'strip_prefix needs a prefix path match' });
}

export const ZRouteConfig = z.object(routeFields).superRefine(checkRoute);
export type TRouteConfig = z.infer<typeof ZRouteConfig>;
export type TRouteConfigInput = z.input<typeof ZRouteConfig>;

export const ZSnapshotRoute = z.object({ ...routeFields, id: ZId }).superRefine(checkRoute);
export type TSnapshotRoute = z.infer<typeof ZSnapshotRoute>;
