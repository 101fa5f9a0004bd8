import { type ProxyHarness, originForm } from './proxy-harness';
import { EDGE_BYTES, type FuzzReport, type Vocabulary, formatFuzzReport, fuzzLoop, mutate, pick, split } from './fuzz-support';
import { REQUEST_CORPUS } from './request-corpus';

/** Snippets that sit on parser edges. */
const SNIPPETS = ['\r\n', '\r\n\r\n', 'chunked', 'identity', 'gzip, ', ', chunked', '0\r\n\r\n', '3\r\nabc\r\n', 'GET /s HTTP/1.1\r\nHost: x\r\n\r\n', 'HTTP/1.0', 'http://x'];
const HEADER_LINES = [
  'Content-Length: 3',
  'Content-Length: 0',
  'Content-Length: 5, 5',
  'Transfer-Encoding: chunked',
  'Transfer-Encoding: gzip, chunked',
  'Transfer-Encoding: chunked, identity',
  'Connection: close',
  'Connection: content-length',
  'Connection: transfer-encoding',
  'Connection: x-forwarded-for',
  'Connection: keep-alive, host',
  'Host: y',
  'X-Forwarded-For: 10.0.0.1',
  'X-Real-IP: 10.0.0.1',
  'Expect: 100-continue',
  'Upgrade: websocket',
  'Upgrade: h2c',
  'Connection: Upgrade',
  'Connection: Upgrade, HTTP2-Settings',
  'HTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA',
  'X-Fold: a\r\n b',
];

const VOCABULARY: Vocabulary = { bytes: EDGE_BYTES, snippets: SNIPPETS, lines: HEADER_LINES, seeds: REQUEST_CORPUS, maxLength: 64 * 1024 };

export type { FuzzReport };

/** The proxy's own reason for its last refusal, from the page it sent, without the names it quotes. */
function refusalReason(text: string): string {
  const m = /(\d{3}) [^:\r\n]*: ([^\n]*)\n$/.exec(text);
  if (!m) return 'closed without an answer';
  return `${m[1]} ${m[2]!.replace(/ (in|coding) .*$/, ' $1 …').replace(/names \S+,/, 'names …,')}`;
}

/**
 * Mutates corpus cases (seeded, so a run is reproducible) and sends each to the proxy and to
 * llhttp. Every exec must satisfy the corpus's invariants (the backend parses clean, whole
 * requests, each with the proxy's own X-Forwarded-For; the proxy answers or closes) and the
 * requests the proxy forwards must be those llhttp reads from the same bytes, in order, up to
 * where either stops. The proxy stopping earlier (it refuses more) is recorded as a
 * disagreement; reading a request differently is a failure.
 */
export function fuzzRequests(harness: ProxyHarness, opts: { seed: number; execs?: number; seconds?: number }): Promise<FuzzReport> {
  return fuzzLoop(opts, REQUEST_CORPUS.length, async (r, exec, report) => {
    const note = (kind: string, example: string) => report.disagreements.note(kind, example);
    const text = mutate(r, pick(r, REQUEST_CORPUS).bytes, VOCABULARY);
    const pieces = split(r, Buffer.from(text, 'latin1'));
    const [run, ref] = await Promise.all([harness.run(pieces, { halfClose: true }), harness.referenceParse(pieces)]);
    const problems = [...run.problems];
    const ours = run.forwarded.map((q) => `${q.method} ${q.target} ${JSON.stringify(q.body)}`);
    const theirs = ref.requests.map((q) => `${q.method} ${originForm(q.url)} ${JSON.stringify(q.body)}`);
    const common = Math.min(ours.length, theirs.length);
    for (let i = 0; i < common; i++) {
      if (ours[i] !== theirs[i]) problems.push(`request ${i + 1}: proxy forwarded ${ours[i]}, llhttp read ${theirs[i]}`);
    }
    if (ours.length > theirs.length) note(`proxy forwards, llhttp refuses (${ref.error ?? 'no error'})`, JSON.stringify(text.slice(0, 300)));
    else if (ours.length < theirs.length) note(`proxy refuses (${refusalReason(run.client.text)}), llhttp reads it`, JSON.stringify(text.slice(0, 300)));
    if (problems.length) report.failures.push({ exec, bytes: JSON.stringify(text.slice(0, 2000)), problems });
  });
}

export function formatReport(report: FuzzReport): string {
  return formatFuzzReport('request fuzz', report, 'disagreements with llhttp (kind, count, example):');
}
