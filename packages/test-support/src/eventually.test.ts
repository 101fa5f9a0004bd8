import { describe, expect, it } from 'vitest';
import { eventually } from './eventually';

describe('eventually', () => {
  it('takes a wrapped 0 or empty string as a result, not as "not yet"', async () => {
    await expect(eventually(() => ({ v: 0 }), 1000)).resolves.toEqual({ v: 0 });
    await expect(eventually(async () => ({ body: '' }), 1000)).resolves.toEqual({ body: '' });
  });

  it('tries again while the check gives undefined, null or false, or throws', async () => {
    let n = 0;
    const answers: (undefined | null | false | 'throw' | true)[] = [undefined, null, false, 'throw', true];
    const got = await eventually(() => {
      const a = answers[n++];
      if (a === 'throw') throw new Error('not yet');
      return a;
    }, 10_000);
    expect(got).toBe(true);
    expect(n).toBe(answers.length);
  });

  it('names what it waited for and the last error when time runs out', async () => {
    await expect(
      eventually(
        () => {
          throw new Error('connection refused');
        },
        100,
        'the server up',
      ),
    ).rejects.toThrow('the server up not met within 100 ms: Error: connection refused');
  });

  it('asks a lazy `what` only when time runs out', async () => {
    let asked = 0;
    const what = () => `output so far (${++asked})`;
    await expect(eventually(() => true, 1000, what)).resolves.toBe(true);
    expect(asked).toBe(0);
    await expect(eventually(() => false, 100, what)).rejects.toThrow('output so far (1) not met within 100 ms');
  });

  it('refuses, at compile time, a check that gives a bare number or string', () => {
    // @ts-expect-error a reading of 0 would read as "not yet"
    void eventually(() => 0 as number | undefined, 1);
    // @ts-expect-error an empty body would read as "not yet"
    void eventually(async () => '' as string | undefined, 1);
  });
});
