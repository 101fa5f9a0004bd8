import type { TDatabaseCheck } from '@fulcrum/protocol';

/** What a database check learned about a server. */
export interface DatabaseFacts {
  /** Accepts writes (PostgreSQL: not in recovery; MySQL: read_only and super_read_only off). */
  writable: boolean;
  /** Seconds behind its primary, when the server says (null: not known). */
  lagSeconds: number | null;
  /** Replayed everything it received (PostgreSQL): an idle primary makes the replay timestamp age without any lag. */
  caughtUp: boolean | null;
  /** Replication is configured but its threads are not running (MySQL: Seconds_Behind_Master is NULL). */
  replicationStopped?: boolean;
  /** Why the lag is unknown or what the server said about replication, for the reason. */
  note?: string;
}

/**
 * Whether a server is what the pool wants: a `primary` pool keeps only the writable server, a
 * `replica` pool only read-only ones within maxLagSeconds. Pure, so the rule is tested exactly.
 */
export function judgeRole(facts: DatabaseFacts, want: Pick<TDatabaseCheck, 'role' | 'maxLagSeconds'>): { ok: boolean; reason: string } {
  const note = facts.note ? ` (${facts.note})` : '';
  if (want.role === 'primary') return facts.writable ? { ok: true, reason: 'primary (writable)' } : { ok: false, reason: `read-only: not the primary${note}` };
  if (facts.writable) return { ok: false, reason: 'writable: a primary, not a replica' };
  if (facts.replicationStopped) return { ok: false, reason: `replica whose replication is not running${note}` };
  if (facts.caughtUp === true) return { ok: true, reason: `replica, replayed all it received${lagText(facts.lagSeconds)}` };
  if (facts.lagSeconds === null) {
    // PostgreSQL always reports replay progress, so unknown there means nothing replayed yet.
    if (facts.caughtUp === false) return { ok: false, reason: 'replica has not replayed anything yet' };
    return { ok: true, reason: `replica, lag unknown${note}` };
  }
  if (facts.lagSeconds <= want.maxLagSeconds) return { ok: true, reason: `replica${lagText(facts.lagSeconds)}` };
  return { ok: false, reason: `replica ${Math.round(facts.lagSeconds)} s behind (at most ${want.maxLagSeconds} s allowed)${note}` };
}

const lagText = (lag: number | null) => (lag === null ? '' : `, ${Math.round(lag)} s behind`);
