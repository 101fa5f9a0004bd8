import { readFileSync } from 'node:fs';
import { ZListenerWithRoutes, ZOk, ZRoute, ZWhichRouteAnswer } from '@fulcrum/protocol';
import type { Command, CommandContext } from '../context';
import { UsageError } from '../errors';
import { describeAction, describeMatch, intFlag, requireName, routeTable } from './listeners';

function requireListener(ctx: CommandContext): string {
  if (!ctx.flags.listener) throw new UsageError('--listener is required');
  return ctx.flags.listener;
}

const base = (ctx: CommandContext) => `/listeners/${encodeURIComponent(requireListener(ctx))}`;

/**
 * A route from flags (the common cases), over a `--file` JSON body if given (header rules,
 * rewrite, rate limit, ...). Only what was said is sent, so an update changes only that.
 */
function routeFromFlags(ctx: CommandContext): Record<string, unknown> {
  const f = ctx.flags;
  let out: Record<string, unknown> = {};
  if (f.file) {
    try {
      out = JSON.parse(readFileSync(f.file === '-' ? 0 : f.file, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new UsageError(`cannot read ${f.file} as JSON: ${(err as Error).message}`);
    }
    if (typeof out !== 'object' || out === null || Array.isArray(out)) throw new UsageError(`${f.file} is not a JSON object`);
  }
  const match: Record<string, unknown> = { ...((out.match as Record<string, unknown> | undefined) ?? {}) };
  if (f.host?.length) match.hosts = f.host;
  if (f.path !== undefined) match.path = { type: f['path-type'] ?? 'prefix', value: f.path };
  else if (f['path-type']) throw new UsageError('--path-type needs --path');
  if (f.method?.length) match.methods = f.method;
  if (Object.keys(match).length) out.match = match;
  const priority = intFlag(f.priority, '--priority');
  if (priority !== undefined) out.priority = priority;
  const actions = [f.pool !== undefined, f.redirect !== undefined, f.body !== undefined || (f.status !== undefined && f.redirect === undefined)].filter(Boolean).length;
  if (actions > 1) throw new UsageError('give one action: --pool P, --redirect URL [--status 301|302|307|308], or --status N [--body TEXT]');
  const status = intFlag(f.status, '--status');
  if (f.pool !== undefined) out.action = { type: 'pool', poolId: f.pool };
  else if (f.redirect !== undefined) out.action = { type: 'redirect', location: f.redirect, ...(status !== undefined ? { status } : {}) };
  else if (status !== undefined) out.action = { type: 'fixed', status, ...(f.body !== undefined ? { body: f.body } : {}) };
  return out;
}

export const routesList: Command = async (ctx) => {
  const l = await ctx.api.request('GET', base(ctx), ZListenerWithRoutes);
  ctx.print({ routes: l.routes, order: l.order }, () => routeTable(l));
  return 0;
};

export const routesAdd: Command = async (ctx) => {
  const name = requireName(ctx, 'route');
  const body: Record<string, unknown> = { ...routeFromFlags(ctx), name, reason: ctx.flags.reason };
  if (!body.action) throw new UsageError('give the action: --pool P, --redirect URL or --status N [--body TEXT]');
  const r = await ctx.api.request('POST', `${base(ctx)}/routes`, ZRoute, body);
  ctx.print(r, () => `added route ${r.name} to ${ctx.flags.listener}: ${describeMatch(r)} -> ${describeAction(r)}`);
  return 0;
};

export const routesUpdate: Command = async (ctx) => {
  const name = requireName(ctx, 'route');
  const patch = routeFromFlags(ctx);
  if (!Object.keys(patch).length) throw new UsageError('nothing to change: give --host, --path, --method, --priority, an action or --file');
  const current = await ctx.api.request('GET', `${base(ctx)}/routes/${encodeURIComponent(name)}`, ZRoute);
  const r = await ctx.api.request('PATCH', `${base(ctx)}/routes/${encodeURIComponent(current.id)}`, ZRoute, { expectedVersion: current.version, patch, reason: ctx.flags.reason });
  ctx.print(r, () => `updated route ${r.name}: ${describeMatch(r)} -> ${describeAction(r)} (priority ${r.priority})`);
  return 0;
};

export const routesDelete: Command = async (ctx) => {
  const name = requireName(ctx, 'route');
  const current = await ctx.api.request('GET', `${base(ctx)}/routes/${encodeURIComponent(name)}`, ZRoute);
  const query = new URLSearchParams({ expectedVersion: String(current.version), ...(ctx.flags.reason ? { reason: ctx.flags.reason } : {}) });
  const res = await ctx.api.request('DELETE', `${base(ctx)}/routes/${encodeURIComponent(current.id)}?${query}`, ZOk);
  ctx.print(res, () => `deleted route ${current.name} from ${ctx.flags.listener}`);
  return 0;
};

/** Which route a URL takes and why; exit 1 when none does (the data plane answers 404). */
export const routesTest: Command = async (ctx) => {
  const [url] = ctx.args;
  if (!url) throw new UsageError('give the URL to test, e.g. http://api.example.com/v1/users or /path');
  const headers: Record<string, string> = {};
  for (const h of ctx.flags.header ?? []) {
    const i = h.indexOf(':');
    if (i <= 0) throw new UsageError(`--header must read "Name: value" (got "${h}")`);
    headers[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  const method = ctx.flags.method?.[0];
  const answer = await ctx.api.request('POST', `${base(ctx)}/which-route`, ZWhichRouteAnswer, { url, ...(method ? { method } : {}), headers });
  ctx.print(answer, () => {
    const lines = answer.checks.map((c) => `${c.matched ? '✓' : '✗'} ${c.route}${c.host ? ` (${c.host})` : ''}: ${c.reasons.join(', ')}`);
    const req = `${answer.request.method} ${answer.request.host ?? '(no host)'} ${answer.request.path}${answer.request.query ? `?${answer.request.query}` : ''}`;
    return [req, ...lines, answer.route ? `-> route ${answer.route.name}: ${describeAction(answer.route)}` : '-> no route matches (the data plane answers 404)'].join('\n');
  });
  return answer.route ? 0 : 1;
};
