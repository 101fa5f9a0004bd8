import { describe, expect, it } from 'vitest';
import { MAX_CLIENT_REQUEST_ID, clientRequestId, requestIdOf } from './request-id';

const withId = (value: string | undefined) => ({ header: (name: string) => (name === 'x-request-id' ? value : undefined) });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('the request id', () => {
  it.each([
    ['a UUID', '6f1c2c4e-9a55-4d63-8d4a-5a3e0f6d7c21'],
    ['a W3C trace id', '4bf92f3577b34da6a3ce929d0e0e4736'],
    ['an AWS trace header value', 'Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1'],
    ['one character', 'x'],
    ['visible ASCII punctuation', '!#$%&*+-./:;<=>?@[]^_`{|}~'],
    ['the longest kept', 'a'.repeat(MAX_CLIENT_REQUEST_ID)],
  ])('keeps the client’s id: %s', (_, id) => {
    expect(clientRequestId(withId(id))).toBe(id);
    expect(requestIdOf(withId(id))).toBe(id);
  });

  it.each([
    ['none', undefined],
    ['empty', ''],
    ['one character too long', 'a'.repeat(MAX_CLIENT_REQUEST_ID + 1)],
    ['a header-sized id', 'a'.repeat(16 * 1024)],
    ['a space', 'abc def'],
    ['a list of two (a repeated header joined)', 'abc, def'],
    ['a tab', 'abc\tdef'],
    ['a control byte', 'abc\x01def'],
    ['DEL', 'abc\x7f'],
    ['a byte above ASCII (obs-text)', 'abc\xe9'],
    ['a log-line breaker', 'abc"}\n{"status":200'],
  ])('replaces one that is not well formed with a new UUID: %s', (_, id) => {
    expect(clientRequestId(withId(id))).toBeUndefined();
    const made = requestIdOf(withId(id));
    expect(made).toMatch(UUID);
    expect(requestIdOf(withId(id))).not.toBe(made);
  });

  it('makes version 4 UUIDs, none repeated, across many batches, with every hex digit in every free position', () => {
    const seen = new Set<string>();
    // 130 batches: the batch boundary is crossed many times.
    for (let i = 0; i < 128 * 130; i++) {
      const id = requestIdOf(withId(undefined));
      expect(id).toMatch(UUID);
      seen.add(id);
    }
    expect(seen.size).toBe(128 * 130);
    // Hex positions outside the version and variant digits, first and last of each group, take
    // all 16 values: the bytes are random and formatted in full, not a fixed or truncated pattern.
    const ids = [...seen];
    for (const pos of [0, 7, 9, 12, 15, 17, 20, 22, 24, 35]) {
      const digits = new Set(ids.map((id) => id[pos]));
      expect(digits.size, `position ${pos}`).toBe(16);
    }
    // The variant digit takes exactly 8, 9, a, b.
    expect(new Set(ids.map((id) => id[19]))).toEqual(new Set(['8', '9', 'a', 'b']));
  });
});
