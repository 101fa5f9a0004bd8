import { describe, expect, it } from 'vitest';
import { STALE_AFTER_MS, freshness } from './freshness';
import { type TLiveFrame, initialLiveState } from './live-frame';

const ts = new Date(2026, 10, 30, 14, 22, 4).getTime();
const traffic = {
  responses: 42,
  responses5xx: 2,
  causes: { no_healthy_backend: 2 },
  upstreamErrors: 0,
  retries: 0,
  activeConnections: 1,
  p50Ms: 3,
  p95Ms: 7,
  p99Ms: 9,
  healthy: 2,
  reported: 2,
  clientSide: true,
};
const frame = (sincePushMs: number, connected = true): TLiveFrame => ({
  ts,
  sincePushMs,
  pools: { p1: { backends: {}, traffic, reporters: ['dp-1'], ts } },
  dataplanes: [{ id: 'dp-1', name: 'edge-1', connected, here: true, lastFrameAt: ts, since: ts, silentMs: 0 }],
  notificationsDownSince: null,
});

/** The pool's freshness at browser time `now` from a state seeded at `seededAt`, as useLiveStats computes it. */
function freshnessAt(state: ReturnType<typeof initialLiveState>, now: number) {
  const s = state.latest.p1;
  return freshness({ now, lastPushAt: state.lastPushAt, lastDataAt: s?.receivedAt ?? null, lastDataTs: s?.ts ?? null, reporters: s?.reporters ?? [], ...state.view });
}

describe('initialLiveState (the server-rendered first frame)', () => {
  it('shows the frame the server read as the real second it is, with its numbers', () => {
    const s = initialLiveState(frame(0), 1_000_000);
    expect(s.latest.p1).toMatchObject({ ts, rps: 42, errorRate: 2 / 42, p99: 9, healthy: 2, causes: [{ cause: 'no_healthy_backend', count: 2 }] });
    expect(freshnessAt(s, 1_000_000)).toEqual({ stale: false, note: null });
  });

  it('ages from when the stream would have pushed it: greyed as "no data since" once that push is older than STALE_AFTER_MS', () => {
    const seededAt = 1_000_000;
    // The control plane held it 2 s after the stream would have pushed it: 1 s of freshness left.
    const s = initialLiveState(frame(2000), seededAt);
    expect(freshnessAt(s, seededAt + STALE_AFTER_MS - 2000).stale).toBe(false);
    expect(freshnessAt(s, seededAt + STALE_AFTER_MS - 2000 + 1)).toEqual({ stale: true, note: 'no data since 14:22:05 (control plane unreachable)' });
    // Already older than that when read: stale from the first render, with the reason the links give.
    expect(freshnessAt(initialLiveState(frame(STALE_AFTER_MS + 1), seededAt), seededAt)).toMatchObject({ stale: true, note: expect.stringMatching(/^no data since 14:22:05/) });
  });

  it('ages a pool that came at an older second (missing from the newest) from when that second would have been pushed', () => {
    const seededAt = 1_000_000;
    const f = frame(0);
    const s = initialLiveState({ ...f, ts: ts + 2000, pools: { p1: { ...f.pools.p1!, ts } } }, seededAt);
    expect(s.latest.p1).toMatchObject({ ts, rps: 42, receivedAt: seededAt - 2000 });
    expect(freshnessAt(s, seededAt + STALE_AFTER_MS - 2000).stale).toBe(false);
    expect(freshnessAt(s, seededAt + STALE_AFTER_MS - 2000 + 1)).toMatchObject({ stale: true, note: expect.stringMatching(/^no data since 14:22:05 /) });
  });

  it('is nothing at all without a server-rendered frame (no zeros that look like data)', () => {
    const s = initialLiveState(undefined, 1_000_000);
    expect(s).toEqual({ latest: {}, view: { links: [], notificationsDownSince: null }, lastPushAt: null });
    expect(freshnessAt(s, 1_000_000)).toEqual({ stale: false, note: null });
  });
});
