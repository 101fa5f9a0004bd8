import { ZDeployStart } from '@fulcrum/protocol';
import { describe, expect, it } from 'vitest';
import { parseBackendLines, parseNumberList } from './backend-lines';

describe('parseBackendLines', () => {
  it('reads host:port with an optional weight, one a line, skipping blank lines', () => {
    expect(parseBackendLines('10.0.0.5:8080\n\n  app-2.internal:9000 3 \n[::1]:7000')).toEqual([
      { host: '10.0.0.5', port: 8080 },
      { host: 'app-2.internal', port: 9000, weight: 3 },
      { host: '::1', port: 7000 },
    ]);
  });

  it('leaves a missing port for the schema to report on its line', () => {
    const lines = parseBackendLines('10.0.0.5:8080\n10.0.0.6');
    expect(lines[1]).toEqual({ host: '10.0.0.6', port: Number.NaN });
    const parsed = ZDeployStart.safeParse({ version: 'v2', backends: lines });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.path).toEqual(['backends', 1, 'port']);
  });
});

describe('parseNumberList', () => {
  it('splits on commas and spaces', () => {
    expect(parseNumberList('10, 50,100 ')).toEqual([10, 50, 100]);
    expect(parseNumberList('')).toEqual([]);
  });
});
