import type { TStatsFrame } from '@fulcrum/protocol';
import { describe, expect, it } from 'vitest';
import { StatsStore } from './stats-store';

const frame = (dataplaneId: string, ts: number, listeners: TStatsFrame['listeners']): TStatsFrame => ({ dataplaneId, ts, intervalMs: 1000, configVersion: 1, pools: [], listeners });
const answers = (listenerId: string, notFound: number, redirects: number) => ({
  listenerId,
  responses: { '1xx': 0, '2xx': 0, '3xx': redirects, '4xx': notFound, '5xx': 0 },
  answers: { ...(notFound ? { no_route: notFound } : {}), ...(redirects ? { redirect: redirects } : {}) },
});

describe('listener answers in the stats store', () => {
  it('merges one second across data planes and keeps seconds apart', () => {
    const store = new StatsStore();
    const t = 1_700_000_000_000;
    store.add(frame('edge-1', t + 1000, [answers('l1', 3, 0), answers('l2', 0, 2)]));
    store.add(frame('edge-2', t + 1400, [answers('l1', 4, 1)]));
    store.add(frame('edge-1', t + 2000, [answers('l1', 1, 0)]));
    const first = store.listenersAt(t + 1000);
    expect(first.l1?.answers).toEqual({ no_route: 7, redirect: 1 });
    expect(first.l1?.responses['4xx']).toBe(7);
    expect(first.l2?.answers).toEqual({ redirect: 2 });
    expect(store.listenersAt(t + 2000).l1?.answers).toEqual({ no_route: 1 });
    expect(store.listenersAt(t + 3000)).toEqual({});
  });

  it('a frame without listener answers (an older data plane) adds nothing', () => {
    const store = new StatsStore();
    store.add(frame('edge-1', 1_700_000_000_000, undefined));
    expect(store.listenersAt(1_700_000_000_000)).toEqual({});
  });
});
