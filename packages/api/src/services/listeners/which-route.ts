import { RouteTable, type TWhichRouteAnswer, type TWhichRouteInput, explainRoute, normalizeHost, splitTarget } from '@fulcrum/protocol';
import type { PrismaClient } from '@fulcrum/db';
import { findListenerRow } from './find-listener';
import { toRoute, toSnapshotRoute } from './listener-mapper';
import { compileRouteRegexOrNever } from './route-regex';

/**
 * Which route of a listener a request would take, and why: decided by the data plane's own
 * RouteTable over the saved routes (what the next revision serves), explained place by place
 * up to the match.
 */
export async function whichRoute(prisma: PrismaClient, input: TWhichRouteInput): Promise<TWhichRouteAnswer> {
  const listener = await findListenerRow(prisma, input.listener);
  const routes = (await prisma.route.findMany({ where: { listenerId: listener.id }, orderBy: { name: 'asc' } })).map(toRoute);
  const table = new RouteTable(routes.map(toSnapshotRoute), compileRouteRegexOrNever);
  const absolute = /^https?:\/\/([^/?#]+)/i.exec(input.url);
  const headers = new Map(Object.entries(input.headers).map(([k, v]) => [k.toLowerCase(), v]));
  if (absolute && !headers.has('host')) headers.set('host', absolute[1]!.replace(/^.*@/, ''));
  const { path, query } = splitTarget(input.url);
  const host = normalizeHost(headers.get('host'));
  const req = { host, path, query, method: input.method, header: (n: string) => headers.get(n) };
  const matched = table.match(req);
  const checks: TWhichRouteAnswer['checks'] = [];
  for (const e of table.ordered) {
    const place = e.exactHost ?? (e.suffix === undefined ? null : `*.${e.suffix}`);
    const why = explainRoute(e.route, place, req, compileRouteRegexOrNever);
    checks.push({ routeId: e.route.id, route: e.route.name, host: place, ...why });
    if (matched && e.route === matched.route && why.matched) break;
  }
  return {
    request: { host: host ?? null, path, query, method: input.method },
    route: matched ? routes.find((r) => r.id === matched.route.id)! : null,
    checks,
  };
}
