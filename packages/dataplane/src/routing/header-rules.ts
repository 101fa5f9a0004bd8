import type { THeaderRule, TRouteVariable } from '@fulcrum/protocol';
import { fieldBytes, isFieldValue } from '../http/field-syntax';

/** The values a route's templates may read; what is not known for a request is empty. */
export interface RouteVariables {
  client_ip: string;
  host: string;
  scheme: string;
  request_id: string;
  request_uri: string;
  path: string;
}

/** A value with `$name` variables split once into literal and variable parts, so a request only joins them. */
export type Template = (vars: RouteVariables) => string;

export function compileTemplate(source: string): Template {
  const parts: (string | { v: TRouteVariable })[] = [];
  let last = 0;
  // The schema refused unknown names; `$$` is a literal `$`.
  for (const m of source.matchAll(/\$(\$|[a-z_]+)/g)) {
    if (m.index > last) parts.push(fieldBytes(source.slice(last, m.index)));
    parts.push(m[1] === '$' ? '$' : { v: m[1] as TRouteVariable });
    last = m.index + m[0].length;
  }
  if (last < source.length) parts.push(fieldBytes(source.slice(last)));
  if (parts.every((p) => typeof p === 'string')) {
    const text = parts.join('');
    return () => text;
  }
  return (vars) => {
    let out = '';
    for (const p of parts) out += typeof p === 'string' ? p : vars[p.v];
    return out;
  };
}

export interface CompiledRule {
  op: THeaderRule['op'];
  lower: string;
  name: string;
  value: Template | undefined;
}

export function compileRules(rules: readonly THeaderRule[]): CompiledRule[] {
  return rules.map((r) => ({ op: r.op, lower: r.name.toLowerCase(), name: r.name, value: r.value === undefined ? undefined : compileTemplate(r.value) }));
}

/**
 * Applies rules in order to raw header pairs, in place: `set` replaces every field of that name
 * with one, `add` appends one, `remove` drops them all. A value that would carry a line break
 * or a control byte (a variable from the client) is left out rather than sent: headers are the
 * proxy's framing.
 */
export function applyHeaderRules(headers: string[], rules: readonly CompiledRule[], vars: RouteVariables): void {
  for (const r of rules) {
    if (r.op !== 'add') removeAll(headers, r.lower);
    if (r.op === 'remove') continue;
    const value = r.value!(vars);
    if (!isFieldValue(value)) continue;
    headers.push(r.name, value);
  }
}

function removeAll(headers: string[], lower: string): void {
  let w = 0;
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i]!;
    if (name.length === lower.length && name.toLowerCase() === lower) continue;
    headers[w++] = name;
    headers[w++] = headers[i + 1]!;
  }
  headers.length = w;
}
