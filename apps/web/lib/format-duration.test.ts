import { describe, expect, it } from 'vitest';
import { formatDuration } from './format-duration';

describe('formatDuration', () => {
  it('picks the unit an operator reads', () => {
    expect([800, 1000, 1500, 30_000, 60_000, 90_000, 5_400_000].map(formatDuration)).toEqual(['800 ms', '1 s', '1.5 s', '30 s', '1 min', '1.5 min', '1.5 h']);
  });
});
