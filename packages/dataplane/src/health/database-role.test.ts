import { describe, expect, it } from 'vitest';
import { judgeRole } from './database-role';

const primary = { role: 'primary', maxLagSeconds: 10 } as const;
const replica = { role: 'replica', maxLagSeconds: 10 } as const;

describe('judgeRole', () => {
  it('keeps only the writable server in a primary pool', () => {
    expect(judgeRole({ writable: true, lagSeconds: null, caughtUp: null }, primary)).toEqual({ ok: true, reason: 'primary (writable)' });
    expect(judgeRole({ writable: false, lagSeconds: 0, caughtUp: true }, primary)).toEqual({ ok: false, reason: 'read-only: not the primary' });
  });

  it('keeps read-only servers within the lag in a replica pool', () => {
    expect(judgeRole({ writable: true, lagSeconds: null, caughtUp: null }, replica).ok).toBe(false);
    expect(judgeRole({ writable: false, lagSeconds: 10, caughtUp: false }, replica)).toEqual({ ok: true, reason: 'replica, 10 s behind' });
    expect(judgeRole({ writable: false, lagSeconds: 11, caughtUp: false }, replica)).toEqual({ ok: false, reason: 'replica 11 s behind (at most 10 s allowed)' });
  });

  it('counts a replica that replayed all it received as current, however old its last replayed transaction (an idle primary)', () => {
    expect(judgeRole({ writable: false, lagSeconds: 3600, caughtUp: true }, replica)).toEqual({ ok: true, reason: 'replica, replayed all it received, 3600 s behind' });
  });

  it('refuses a replica that has replayed nothing yet, or whose replication stopped; keeps one whose lag is unknown, saying why', () => {
    expect(judgeRole({ writable: false, lagSeconds: null, caughtUp: false }, replica).ok).toBe(false);
    expect(judgeRole({ writable: false, lagSeconds: null, caughtUp: null, replicationStopped: true }, replica).ok).toBe(false);
    expect(judgeRole({ writable: false, lagSeconds: null, caughtUp: null, note: 'no replication configured' }, replica)).toEqual({
      ok: true,
      reason: 'replica, lag unknown (no replication configured)',
    });
  });
});
