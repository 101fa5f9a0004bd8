import { describe, expect, it } from 'vitest';
import { STALE_AFTER_MS, clockTime, freshness, utcClockTime } from './freshness';

const base = {
  now: 100_000,
  lastPushAt: 99_500,
  lastDataAt: 99_500,
  lastDataTs: new Date(2026, 10, 30, 14, 22, 4).getTime(),
  reporters: ['dp-1'],
  links: [{ id: 'dp-1', name: 'edge-1', connected: true }],
};

describe('freshness', () => {
  it('is fresh while seconds keep arriving', () => {
    expect(freshness(base)).toEqual({ stale: false, note: null });
    expect(freshness({ ...base, now: base.lastDataAt + STALE_AFTER_MS })).toEqual({ stale: false, note: null });
  });

  it('names the disconnected data plane when pushes go on without the pool', () => {
    const f = freshness({ ...base, now: base.lastDataAt + STALE_AFTER_MS + 1, lastPushAt: base.lastDataAt + STALE_AFTER_MS, links: [{ id: 'dp-1', name: 'edge-1', connected: false }] });
    expect(f).toEqual({ stale: true, note: 'no data since 14:22:05 (data plane edge-1 disconnected)' });
  });

  it('names a connected data plane whose frames stopped (a frozen process)', () => {
    const f = freshness({ ...base, now: 110_000, lastPushAt: 109_900, links: [{ id: 'dp-1', name: 'edge-1', connected: true, silentMs: 9000 }] });
    expect(f.note).toBe('no data since 14:22:05 (data plane edge-1 stopped reporting)');
  });

  it('blames this control plane, not the data plane, when one linked to another replica goes silent while this one hears no notifications', () => {
    const elsewhere = { id: 'dp-1', name: 'edge-1', connected: true, here: false, silentMs: 9000 };
    const f = freshness({ ...base, now: 110_000, lastPushAt: 109_900, links: [elsewhere], notificationsDownSince: 101_000 });
    expect(f.note).toBe("no data since 14:22:05 (data plane edge-1 not heard: this control plane's PostgreSQL notifications are down)");
    // Hearing them, the same silence is the data plane's; linked here, it never went through PostgreSQL.
    expect(freshness({ ...base, now: 110_000, lastPushAt: 109_900, links: [elsewhere], notificationsDownSince: null }).note).toMatch(/edge-1 stopped reporting\)$/);
    expect(freshness({ ...base, now: 110_000, lastPushAt: 109_900, links: [{ ...elsewhere, here: true }], notificationsDownSince: 101_000 }).note).toMatch(/edge-1 stopped reporting\)$/);
  });

  it('says the control plane is unreachable when nothing at all arrives', () => {
    expect(freshness({ ...base, now: base.lastPushAt + 10_000 }).note).toBe('no data since 14:22:05 (control plane unreachable)');
  });

  it('says when the data planes are connected but report nothing for the pool, or none is connected', () => {
    expect(freshness({ ...base, now: 110_000, lastPushAt: 109_900 }).note).toMatch(/send no stats for it\)$/);
    expect(freshness({ ...base, now: 110_000, lastPushAt: 109_900, links: [] }).note).toMatch(/no data plane connected\)$/);
  });

  it('is not stale before anything arrived (the page is still loading)', () => {
    expect(freshness({ ...base, lastPushAt: null, lastDataAt: null, lastDataTs: null })).toEqual({ stale: false, note: null });
  });

  it('writes clock times as HH:MM:SS', () => {
    expect(clockTime(new Date(2026, 0, 1, 9, 5, 7).getTime())).toBe('09:05:07');
  });

  it('shows the time on the clock it is given: UTC on a server-rendered page until it runs in the browser', () => {
    const ts = Date.UTC(2026, 11, 1, 4, 40, 20);
    expect(utcClockTime(ts + 1000)).toBe('04:40:21 UTC');
    const f = freshness({ ...base, lastDataTs: ts, now: base.lastPushAt + 10_000, clock: utcClockTime });
    expect(f.note).toBe('no data since 04:40:21 UTC (control plane unreachable)');
  });
});
