import { describe, expect, it } from 'vitest';
import { ZBackendUpdate, ZPoolConfig, ZPoolUpdate, mergePatch } from './index';

describe('patch schemas', () => {
  it('leave absent fields absent instead of filling defaults', () => {
    const u = ZBackendUpdate.parse({ id: 'b', expectedVersion: 1, patch: { adminState: 'draining' } });
    expect(u.patch).toEqual({ adminState: 'draining' });
    const p = ZPoolUpdate.parse({ id: 'p', expectedVersion: 1, patch: { healthCheck: { path: '/healthz' } } });
    expect(p.patch).toEqual({ healthCheck: { path: '/healthz' } });
  });

  it('still validate the fields that are present', () => {
    expect(ZBackendUpdate.safeParse({ id: 'b', expectedVersion: 1, patch: { weight: 0 } }).success).toBe(false);
    expect(ZPoolUpdate.safeParse({ id: 'p', expectedVersion: 1, patch: { healthCheck: { path: 'x' } } }).success).toBe(false);
  });

  it('merge nested objects field by field', () => {
    const current = ZPoolConfig.parse({ name: 'web', listenPort: 80, healthCheck: { path: '/a', rise: 5 } });
    const merged = mergePatch(current, { healthCheck: { path: '/b' } } as never);
    expect(merged.healthCheck).toMatchObject({ path: '/b', rise: 5 });
    expect(merged.name).toBe('web');
  });
});
