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

// Found by the fuzzer (seed 20261203, exec 34347): a pipelined GET went out on a connection that
// had just connected when the client's malformed request closed it. The proxy had sent it whole
// before the close; the in-process backend read it only after the run had collected its requests,
// so the next run was charged with it. Each run must collect all it caused.
it('charges a run with every request it caused, even one sent on an upstream connection closed as the client left', { timeout: 60_000 }, async () => {
  const text =
    'POST /p HTTP/1.1\r\nX-Real-IP: 10.0.0.1\r\nHost: x\r\nTransfer-Encodin9g: identity\r\nContent-Length: 3\r\n\r\nabcGET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost0\r\n\r\n: x\r\n\r\n';
  const bytes = Buffer.from(text, 'latin1');
  for (let i = 0; i < 3; i++) {
    const run = await harness.run([bytes.subarray(0, 93), bytes.subarray(93, 180), bytes.subarray(180)], { halfClose: true });
    expect(run.client.text).toMatch(/^HTTP\/1\.1 400 /);
    // GET /2 goes out or not depending on how the pieces were read; whichever, it is this run's.
    const forwarded = run.forwarded.map((r) => `${r.method} ${r.target}`);
    expect(['POST /p', 'GET /1', 'GET /2'].slice(0, forwarded.length)).toEqual(forwarded);
    const next = await harness.run([Buffer.from('GET /next HTTP/1.1\r\nHost: x\r\n\r\n')], { halfClose: true });
    expect(next.forwarded.map((r) => `${r.method} ${r.target}`)).toEqual(['GET /next']);
  }
});
