import type { TAccessRecord } from '@fulcrum/protocol';
import { accessRecord } from '@fulcrum/test-support';
import { describe, expect, it } from 'vitest';
import { TAIL_PAYLOAD_MAX_BYTES, TailLineFeed, packTailPayloads } from './tail-line-feed';

/** A line with every string field at the protocol's maximum, in multi-byte characters where it hurts most. */
const widest = (i: number, char = 'é'): TAccessRecord =>
  accessRecord({
    poolId: 'p'.repeat(128),
    pool: char.repeat(128),
    host: char.repeat(256),
    path: `/${i}/${char.repeat(2040)}`,
    upstream: char.repeat(300),
    requestId: char.repeat(256),
    userAgent: char.repeat(512),
    referer: char.repeat(1024),
  });

/** Two feeds as two replicas: what one publishes, the other hears, through an in-memory channel. */
function pair() {
  const got: { lines: TAccessRecord[]; dropped: number } = { lines: [], dropped: 0 };
  const sent: string[] = [];
  let fail = false;
  const receiver = new TailLineFeed(
    'cp-b',
    async () => {},
    (lines, dropped) => {
      got.lines.push(...lines);
      got.dropped += dropped;
    },
  );
  const sender = new TailLineFeed(
    'cp-a',
    async (p) => {
      if (fail) throw new Error('database down');
      sent.push(p);
      receiver.heard(p);
    },
    () => {},
  );
  return { sender, receiver, got, sent, failNext: (f: boolean) => (fail = f) };
}

describe('tail lines in NOTIFY payloads', () => {
  it('packs lines in order into payloads under the limit, the dropped count in the first', () => {
    const lines = Array.from({ length: 200 }, (_, i) => accessRecord({ path: `/${i}` }));
    const { payloads, lines: counts, tooBig } = packTailPayloads('cp-a', lines, 12);
    expect(tooBig).toBe(0);
    for (const p of payloads) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(TAIL_PAYLOAD_MAX_BYTES);
    const parsed = payloads.map((p) => JSON.parse(p) as { d: number; l: TAccessRecord[] });
    expect(parsed.flatMap((p) => p.l).map((l) => l.path)).toEqual(lines.map((l) => l.path));
    expect(parsed.map((p) => p.d)).toEqual([12, ...parsed.slice(1).map(() => 0)]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(200);
    // Ordinary lines fill the payloads: a dozen or so for a full second's worth.
    expect(payloads.length).toBeLessThan(20);
  });

  it('keeps the widest line the protocol allows in one payload, and counts one that cannot fit (escaped control characters) as dropped', () => {
    const wide = packTailPayloads('cp-a', [widest(1, 'x'), widest(2, 'x')], 0);
    expect(wide.tooBig).toBe(0);
    for (const p of wide.payloads) expect(Buffer.byteLength(p)).toBeLessThanOrEqual(TAIL_PAYLOAD_MAX_BYTES);
    const escaped = packTailPayloads('cp-a', [accessRecord({ path: '\u0001'.repeat(2048) }), accessRecord({ path: '/ok' })], 3);
    expect(escaped.tooBig).toBe(1);
    expect(escaped.payloads.map((p) => JSON.parse(p) as { d: number; l: TAccessRecord[] })).toEqual([{ cp: 'cp-a', d: 4, l: [expect.objectContaining({ path: '/ok' })] }]);
    const multiByte = packTailPayloads('cp-a', [widest(3, '€')], 0);
    expect(multiByte.tooBig).toBe(1);
    expect(multiByte.payloads.map((p) => (JSON.parse(p) as { d: number }).d)).toEqual([1]);
  });

  it('sends a dropped count alone, and nothing when there is nothing', () => {
    expect(packTailPayloads('cp-a', [], 5).payloads).toEqual(['{"cp":"cp-a","d":5,"l":[]}']);
    expect(packTailPayloads('cp-a', [], 0).payloads).toEqual([]);
  });

  it('another replica gets the lines and counts; its own notifications and malformed ones are not taken', () => {
    const { sender, receiver, got } = pair();
    sender.publish([accessRecord({ path: '/a' }), accessRecord({ path: '/b' })], 2);
    expect(got).toEqual({ lines: [expect.objectContaining({ path: '/a' }), expect.objectContaining({ path: '/b' })], dropped: 2 });
    receiver.heard(JSON.stringify({ cp: 'cp-b', d: 0, l: [accessRecord({ path: '/mine' })] }));
    for (const bad of [
      'not json',
      '{}',
      JSON.stringify({ cp: 'x', d: -1, l: [] }),
      JSON.stringify({ cp: 'x', d: 0, l: Array.from({ length: 201 }, () => accessRecord()) }),
      JSON.stringify({ cp: 'x', d: 0, l: [{ path: '/no-fields' }] }),
    ])
      receiver.heard(bad);
    expect(got.lines.map((l) => l.path)).toEqual(['/a', '/b']);
    expect(receiver.counters).toMatchObject({ received: 1, refused: 5 });
  });

  it('lines whose notification failed are counted and passed on as dropped with the next one', async () => {
    const { sender, got, failNext } = pair();
    failNext(true);
    sender.publish([accessRecord({ path: '/lost' })], 4);
    await new Promise((r) => setImmediate(r));
    expect(sender.counters.dropped).toBe(1);
    failNext(false);
    sender.publish([accessRecord({ path: '/after' })], 0);
    expect(got).toEqual({ lines: [expect.objectContaining({ path: '/after' })], dropped: 5 });
  });
});
