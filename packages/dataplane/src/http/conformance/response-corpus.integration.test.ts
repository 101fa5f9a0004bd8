import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seeded, split } from './fuzz-support';
import { RESPONSE_CORPUS } from './response-corpus';
import { runCase } from './response-fuzzer';
import { ResponseHarness } from './response-harness';

let harness: ResponseHarness;
beforeAll(async () => {
  harness = await new ResponseHarness().start();
});
afterAll(() => harness.stop());

/**
 * Every answer in the corpus, written whole and then in pieces: the client gets what llhttp reads
 * from it, or the proxy's refusal, as the case says; and the request after it gets its own answer.
 */
describe('response framing corpus', () => {
  const stricter: string[] = [];
  afterAll(() => {
    console.log(`response corpus: ${RESPONSE_CORPUS.length} cases; where the proxy is stricter than llhttp:\n  ${stricter.join('\n  ')}`);
  });
  const r = seeded(7);
  let id = 0;
  for (const c of RESPONSE_CORPUS) {
    it(c.name, async () => {
      const bytes = Buffer.from(c.bytes, 'latin1');
      for (const pieces of [[bytes], split(r, bytes, 4)]) {
        const verdict = await runCase(harness, c, id++, pieces);
        expect(verdict.problems, `in pieces ${pieces.map((p) => p.length).join('+')}`).toEqual([]);
        expect(c.outcome === 'cut' ? ['cut', 'refused'] : [c.outcome]).toContain(verdict.outcome);
        if (verdict.stricter && pieces[0] === bytes) stricter.push(`${c.name}: ${verdict.stricter}`);
      }
    });
  }
});
