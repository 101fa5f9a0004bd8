import { describe, expect, it } from 'vitest';
import { LOCK_ID, LOCK_NAME } from './advisory-locks';

describe('advisory lock ids', () => {
  it('are distinct, so no two kinds of work serialize on one lock by accident', () => {
    const ids = Object.values(LOCK_ID);
    expect(new Set(ids).size).toBe(ids.length);
    const names = Object.values(LOCK_NAME);
    expect(new Set(names).size).toBe(names.length);
    // PostgreSQL's two-key form takes int4 keys.
    for (const id of ids) expect(Number.isInteger(id) && id > 0 && id < 2 ** 31).toBe(true);
  });
});
