import { afterAll, beforeAll, expect, it } from 'vitest';
import { ResponseHarness } from './response-harness';
import { formatResponseReport, fuzzResponses } from './response-fuzzer';

let harness: ResponseHarness;
beforeAll(async () => {
  harness = await new ResponseHarness().start();
});
afterAll(() => harness.stop());

// A short fixed-seed run; `pnpm --filter @fulcrum/dataplane fuzz:responses --seconds N` runs long ones.
it('mutated backend answers: the client gets what llhttp reads, or the proxy refuses; the next request gets its own answer', { timeout: 120_000 }, async () => {
  const report = await fuzzResponses(harness, { seed: 12, execs: 400 });
  console.log(formatResponseReport(report));
  expect(report.failures).toEqual([]);
  expect(report.execs).toBe(400);
});
