import { type TListenerWithRoutes, type TRoute, ZListener, ZListenerListItem, ZListenerWithRoutes, ZOk } from '@fulcrum/protocol';
import { z } from 'zod';
import type { Command, CommandContext } from '../context';
import { UsageError } from '../errors';
import { table } from '../format';

export function requireName(ctx: CommandContext, what: string): string {
  const [name] = ctx.args;
  if (!name) throw new UsageError(`give the ${what} name`);
  return name;
}

export function intFlag(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`${flag} must be a whole number (got "${value}")`);
  return Number(value);
}

/** One line per route: what it matches, what it does. */
export function describeMatch(r: TRoute): string {
  const m = r.match;
  const parts = [m.hosts.length ? m.hosts.join(',') : '*', m.path.type === 'prefix' ? `${m.path.value}*` : m.path.type === 'exact' ? m.path.value : `~${m.path.value}`];
  if (m.methods.length) parts.push(m.methods.join(','));
  for (const h of m.headers) parts.push(`${h.name}${h.value === undefined ? '' : `=${h.value}`}`);
  for (const q of m.query) parts.push(`?${q.name}${q.value === undefined ? '' : `=${q.value}`}`);
  return parts.join(' ');
}

export function describeAction(r: TRoute, poolNames: Map<string, string> = new Map()): string {
  const a = r.action;
  if (a.type === 'pool') return `pool ${poolNames.get(a.poolId) ?? a.poolId}`;
  if (a.type === 'redirect') return `redirect ${a.status} ${a.location}`;
  return `answer ${a.status}`;
}

export function routeTable(l: TListenerWithRoutes, poolNames?: Map<string, string>): string {
  if (!l.routes.length) return `listener ${l.name} has no routes (every request gets 404)`;
  const byId = new Map(l.routes.map((r) => [r.id, r]));
  return table(
    ['#', 'ROUTE', 'PRIORITY', 'HOST', 'MATCH', 'ACTION'],
    l.order.map((o, i) => {
      const r = byId.get(o.routeId)!;
      return [i + 1, r.name, r.priority, o.host ?? '*', describeMatch(r), describeAction(r, poolNames)];
    }),
  );
}

export const listenersList: Command = async (ctx) => {
  const listeners = await ctx.api.request('GET', '/listeners', z.array(ZListenerListItem));
  ctx.print(listeners, () =>
    listeners.length
      ? table(
          ['NAME', 'PROTOCOL', 'LISTEN', 'ROUTES', 'POOL-OWNED', 'VERSION'],
          listeners.map((l) => [l.name, l.protocol, `${l.address}:${l.port}`, l.routeCount, l.poolId ? 'yes' : 'no', l.version]),
        )
      : 'no listeners',
  );
  return 0;
};

export const listenersShow: Command = async (ctx) => {
  const l = await ctx.api.request('GET', `/listeners/${encodeURIComponent(requireName(ctx, 'listener'))}`, ZListenerWithRoutes);
  ctx.print(l, () => `listener ${l.name}: ${l.protocol} on ${l.address}:${l.port} (version ${l.version})\nroutes in match order:\n${routeTable(l)}`);
  return 0;
};

export const listenersCreate: Command = async (ctx) => {
  const name = requireName(ctx, 'listener');
  const port = intFlag(ctx.flags.port, '--port');
  if (port === undefined) throw new UsageError('--port is required');
  const body = { name, port, address: ctx.flags.address, protocol: ctx.flags.protocol, pool: ctx.flags.pool, reason: ctx.flags.reason };
  const l = await ctx.api.request('POST', '/listeners', ZListener, body);
  ctx.print(l, () => `created listener ${l.name} (${l.protocol} on ${l.address}:${l.port}${ctx.flags.pool ? `, everything to pool ${ctx.flags.pool}` : ''})`);
  return 0;
};

export const listenersDelete: Command = async (ctx) => {
  const name = requireName(ctx, 'listener');
  const l = await ctx.api.request('GET', `/listeners/${encodeURIComponent(name)}`, ZListenerWithRoutes);
  const query = new URLSearchParams({ expectedVersion: String(l.version), ...(ctx.flags.reason ? { reason: ctx.flags.reason } : {}) });
  const res = await ctx.api.request('DELETE', `/listeners/${encodeURIComponent(l.id)}?${query}`, ZOk);
  ctx.print(res, () => `deleted listener ${l.name} and its ${l.routes.length} route(s)`);
  return 0;
};
