import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyHarness, originForm } from './proxy-harness';
import { REQUEST_CORPUS } from './request-corpus';

let harness: ProxyHarness;
beforeAll(async () => {
  harness = await new ProxyHarness().start();
});
afterAll(() => harness.stop());

/**
 * Every framing in the corpus, on both servers (the fast path and node:http's, which takes a
 * connection at its first request with a body): the backend parses exactly the requests the
 * client sent, each with the proxy's own X-Forwarded-For, or the client gets the 4xx and the
 * connection closes.
 */
describe('request framing corpus', () => {
  const disagreements: string[] = [];
  afterAll(() => {
    console.log(`request corpus: ${REQUEST_CORPUS.length} cases; where llhttp reads them otherwise:\n  ${disagreements.join('\n  ')}`);
  });

  for (const c of REQUEST_CORPUS) {
    it(c.name, async () => {
      const bytes = Buffer.from(c.bytes, 'latin1');
      // Refusals are not helped by a half-close: the proxy must close by itself.
      const { client, forwarded, problems } = await harness.run([bytes], { halfClose: c.halfClose ?? c.refuses === undefined });
      expect(problems).toEqual([]);
      expect(forwarded.map((r) => ({ method: r.method, target: r.target, body: r.body }))).toEqual(c.forwards);
      if (c.refuses !== undefined) {
        expect(client.statuses.at(-1), client.text.slice(-300)).toBe(c.refuses);
        expect(client.statuses.length).toBe(c.forwards.length + 1);
        expect(client.closed).toBe(true);
      } else {
        expect(client.statuses.filter((s) => s >= 200)).toEqual(c.forwards.map(() => 200));
      }
      if (c.upstreamHeader) {
        const [name, value] = c.upstreamHeader;
        for (const r of forwarded) expect(r.headers.filter(([n]) => n.toLowerCase() === name).map(([, v]) => v)).toEqual([value]);
      }
      for (const absent of c.upstreamAbsent ?? []) for (const r of forwarded) expect(r.headers.map(([n]) => n.toLowerCase())).not.toContain(absent);
      const ref = await harness.referenceParse([bytes]);
      const theirs = ref.requests.map((r) => `${r.method} ${originForm(r.url)} ${JSON.stringify(r.body)}`).join(' | ');
      const ours = c.forwards.map((r) => `${r.method} ${r.target} ${JSON.stringify(r.body)}`).join(' | ');
      if (theirs !== ours) disagreements.push(`${c.name}: proxy [${ours}]${c.refuses ? ` then ${c.refuses}` : ''}, llhttp [${theirs}]${ref.error ? ` then ${ref.error}` : ''}`);
    });
  }
});
