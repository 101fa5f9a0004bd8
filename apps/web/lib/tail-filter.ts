import type { TAccessRecord } from '@fulcrum/protocol';

/** What the live tail shows: a status class (`all`, `2xx`…`5xx`, or 0 for no answer), a path substring, a backend. */
export interface TailFilter {
  status: 'all' | '1xx' | '2xx' | '3xx' | '4xx' | '5xx' | 'none';
  path: string;
  /** host:port of the backend, `proxy` for requests no backend answered, or '' for all. */
  backend: string;
}

export const NO_FILTER: TailFilter = { status: 'all', path: '', backend: '' };

/** The dashboard keeps this many of the newest lines. */
export const TAIL_KEEP = 500;

export function statusClass(status: number): TailFilter['status'] {
  if (status <= 0) return 'none';
  return `${Math.min(5, Math.max(1, Math.floor(status / 100)))}xx` as TailFilter['status'];
}

export function matchesTail(r: TAccessRecord, f: TailFilter): boolean {
  if (f.status !== 'all' && statusClass(r.status) !== f.status) return false;
  if (f.path && !r.path.toLowerCase().includes(f.path.toLowerCase())) return false;
  if (f.backend === 'proxy') return r.upstream === '' || r.termination !== 'normal';
  if (f.backend && r.upstream !== f.backend) return false;
  return true;
}

/** New lines first, at most TAIL_KEEP in all. */
export function appendTail<T>(kept: T[], incoming: T[]): T[] {
  if (incoming.length === 0) return kept;
  const next = [...incoming].reverse().concat(kept);
  return next.length > TAIL_KEEP ? next.slice(0, TAIL_KEEP) : next;
}
