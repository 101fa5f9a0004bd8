import { MAX_REGEX_SUBJECT, type RegexCompiler, type RouteRequest, parseQuery } from './route-table';
import type { TSnapshotRoute } from './route';

/**
 * Why one place of a listener's match order takes a request or not, condition by condition, for
 * the "which route" answer. The decision itself is RouteTable.match (what the data plane runs);
 * this only explains it, and the tests hold the two to the same answer.
 */
export function explainRoute(route: TSnapshotRoute, host: string | null, req: RouteRequest, compileRegex: RegexCompiler): { matched: boolean; reasons: string[] } {
  const reasons: string[] = [];
  const fail = (why: string) => ({ matched: false, reasons: [...reasons, why] });
  if (host === null) reasons.push('any host');
  else if (host.startsWith('*.')) {
    if (req.host === undefined || !req.host.endsWith(host.slice(1))) return fail(`host ${req.host ?? '(none)'} is not under ${host}`);
    reasons.push(`host ${req.host} is under ${host}`);
  } else {
    if (req.host !== host) return fail(`host ${req.host ?? '(none)'} is not ${host}`);
    reasons.push(`host is ${host}`);
  }
  const { path } = route.match;
  if (path.type === 'prefix') {
    if (!req.path.startsWith(path.value)) return fail(`path ${req.path} does not start with ${path.value}`);
    reasons.push(path.value === '/' ? 'any path' : `path starts with ${path.value}`);
  } else if (path.type === 'exact') {
    if (req.path !== path.value) return fail(`path ${req.path} is not ${path.value}`);
    reasons.push(`path is ${path.value}`);
  } else {
    if (req.path.length > MAX_REGEX_SUBJECT || !compileRegex(path.value).test(req.path)) return fail(`path ${req.path} does not match /${path.value}/`);
    reasons.push(`path matches /${path.value}/`);
  }
  const { methods, headers, query } = route.match;
  if (methods.length) {
    if (!methods.includes(req.method)) return fail(`method ${req.method} is not ${methods.join(' or ')}`);
    reasons.push(`method is ${req.method}`);
  }
  for (const h of headers) {
    const v = req.header(h.name);
    if (v === undefined) return fail(`header ${h.name} is absent`);
    if (h.value !== undefined && v !== h.value) return fail(`header ${h.name} is not ${JSON.stringify(h.value)}`);
    reasons.push(h.value === undefined ? `header ${h.name} is present` : `header ${h.name} is ${JSON.stringify(h.value)}`);
  }
  if (query.length) {
    const params = parseQuery(req.query);
    for (const q of query) {
      const v = params.get(q.name);
      if (v === undefined) return fail(`query parameter ${q.name} is absent`);
      if (q.value !== undefined && v !== q.value) return fail(`query parameter ${q.name} is not ${JSON.stringify(q.value)}`);
      reasons.push(q.value === undefined ? `query parameter ${q.name} is present` : `query parameter ${q.name} is ${JSON.stringify(q.value)}`);
    }
  }
  return { matched: true, reasons };
}
