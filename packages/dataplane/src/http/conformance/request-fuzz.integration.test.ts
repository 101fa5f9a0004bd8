import { afterAll, beforeAll, expect, it } from 'vitest';
import { ProxyHarness } from './proxy-harness';
import { formatReport, fuzzRequests } from './request-fuzzer';

let harness: ProxyHarness;
beforeAll(async () => {
  harness = await new ProxyHarness().start();
});
afterAll(() => harness.stop());

// A short fixed-seed run; `pnpm --filter @fulcrum/dataplane fuzz --seconds N` runs long ones.
it("mutated request framings: the backend parses what llhttp reads, with the proxy's own X-Forwarded-For, and the data plane stays up", { timeout: 180_000 }, async () => {
  const report = await fuzzRequests(harness, { seed: 12, execs: 300 });
  console.log(formatReport(report));
  expect(report.failures).toEqual([]);
  expect(report.execs).toBe(300);
});
