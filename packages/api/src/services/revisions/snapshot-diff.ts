import { type TConfigSnapshot, backendAddress } from '@fulcrum/protocol';
import { canonicalJson } from './link-hash';

export interface SnapshotChange {
  /** e.g. `pools.web.algorithm`, `pools.web.backends.10.0.0.1:80.weight` */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  before?: unknown;
  after?: unknown;
}

/** Pools keyed by name and backends by address, so a diff reads as operators think of them. */
function keyed(snapshot: TConfigSnapshot): Record<string, unknown> {
  return Object.fromEntries(
    snapshot.pools.map(({ id: _id, backends, ...pool }) => [pool.name, { ...pool, backends: Object.fromEntries(backends.map(({ id: _bid, ...b }) => [backendAddress(b), b])) }]),
  );
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function walk(path: string, a: unknown, b: unknown, out: SnapshotChange[]): void {
  if (isObject(a) && isObject(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const p = path ? `${path}.${key}` : key;
      if (!(key in a) || a[key] === undefined) out.push({ path: p, kind: 'added', after: b[key] });
      else if (!(key in b) || b[key] === undefined) out.push({ path: p, kind: 'removed', before: a[key] });
      else walk(p, a[key], b[key], out);
    }
    return;
  }
  if (canonicalJson(a) !== canonicalJson(b)) out.push({ path, kind: 'changed', before: a, after: b });
}

/** Listeners keyed by name and their routes by name, e.g. `listeners.edge.routes.api.priority`. */
function keyedListeners(snapshot: TConfigSnapshot): Record<string, unknown> {
  return Object.fromEntries(
    snapshot.listeners.map(({ id: _id, routes, ...listener }) => [listener.name, { ...listener, routes: Object.fromEntries(routes.map(({ id: _rid, ...r }) => [r.name, r])) }]),
  );
}

/** Certificates keyed by name: a rotation reads `certificates.app.version: 1 → 2` (the chain itself is left out: long, and the fingerprint is in the API). */
function keyedCertificates(snapshot: TConfigSnapshot): Record<string, unknown> {
  return Object.fromEntries((snapshot.certificates ?? []).map(({ id: _id, chain: _chain, ...c }) => [c.name, c]));
}

export function diffSnapshots(from: TConfigSnapshot, to: TConfigSnapshot): SnapshotChange[] {
  const out: SnapshotChange[] = [];
  walk('pools', keyed(from), keyed(to), out);
  walk('listeners', keyedListeners(from), keyedListeners(to), out);
  walk('certificates', keyedCertificates(from), keyedCertificates(to), out);
  return out;
}
