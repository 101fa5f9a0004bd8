import { type ProxyHarness, originForm } from './proxy-harness';
import { REQUEST_CORPUS } from './request-corpus';
// The same seeded PRNG as the balancing tests: a fuzz run is reproducible from its seed.
import { seeded as seededRandom } from '../../balancing/test-support';

/** Bytes and snippets that sit on parser edges. */
const BYTES = ['\r', '\n', '\0', ' ', '\t', ',', ';', ':', '0', '1', '9', 'a', 'f', 'F', 'x', '-', '+', '"', '/', '?', '#', '@', '*', '\x01', '\x0b', '\x7f', '\x80', '\xff'];
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
  'X-Fold: a\r\n b',
];

type Rand = () => number;
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const at = (r: Rand, s: string) => Math.floor(r() * (s.length + 1));

function mutate(r: Rand, input: string): string {
  let s = input;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const p = at(r, s);
    switch (Math.floor(r() * 8)) {
      case 0:
        s = s.slice(0, p) + pick(r, BYTES) + s.slice(p + 1);
        break;
      case 1:
        s = s.slice(0, p) + pick(r, BYTES) + s.slice(p);
        break;
      case 2:
        s = s.slice(0, p) + s.slice(p + 1 + Math.floor(r() * 8));
        break;
      case 3:
        s = s.slice(0, p) + pick(r, SNIPPETS) + s.slice(p);
        break;
      case 4: {
        // Repeat one line.
        const start = s.lastIndexOf('\r\n', p) + 2;
        const end = s.indexOf('\r\n', p);
        if (end > start) s = s.slice(0, end + 2) + s.slice(start, end + 2) + s.slice(end + 2);
        break;
      }
      case 5: {
        const c = s.charCodeAt(p);
        if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122)) s = s.slice(0, p) + String.fromCharCode(c ^ 32) + s.slice(p + 1);
        break;
      }
      case 6:
        s = r() < 0.5 ? s + pick(r, REQUEST_CORPUS).bytes : pick(r, REQUEST_CORPUS).bytes + s;
        break;
      default: {
        const eol = s.indexOf('\r\n');
        if (eol >= 0) s = `${s.slice(0, eol + 2)}${pick(r, HEADER_LINES)}\r\n${s.slice(eol + 2)}`;
      }
    }
  }
  return s.length > 64 * 1024 ? s.slice(0, 64 * 1024) : s;
}

/** Splits the bytes into 1–3 writes at random places, so heads and bodies straddle reads. */
function split(r: Rand, bytes: Buffer): Buffer[] {
  const pieces: Buffer[] = [];
  let rest = bytes;
  const cuts = Math.floor(r() * 3);
  for (let i = 0; i < cuts && rest.length > 1; i++) {
    const p = 1 + Math.floor(r() * (rest.length - 1));
    pieces.push(rest.subarray(0, p));
    rest = rest.subarray(p);
  }
  pieces.push(rest);
  return pieces;
}

export interface FuzzFailure {
  exec: number;
  bytes: string;
  problems: string[];
}

export interface FuzzReport {
  seed: number;
  corpusSize: number;
  execs: number;
  seconds: number;
  execsPerSecond: number;
  failures: FuzzFailure[];
  /** Where the proxy and llhttp read the same bytes differently, by kind, with a count and an example. */
  disagreements: Map<string, { count: number; example: string }>;
}

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
export async function fuzzRequests(harness: ProxyHarness, opts: { seed: number; execs?: number; seconds?: number }): Promise<FuzzReport> {
  const r = seededRandom(opts.seed);
  const failures: FuzzFailure[] = [];
  const disagreements = new Map<string, { count: number; example: string }>();
  const note = (kind: string, example: string) => {
    const d = disagreements.get(kind);
    if (d) d.count++;
    else disagreements.set(kind, { count: 1, example });
  };
  const started = performance.now();
  const until = opts.seconds === undefined ? Infinity : started + opts.seconds * 1000;
  const maxExecs = opts.execs ?? Infinity;
  let execs = 0;
  while (execs < maxExecs && performance.now() < until) {
    const exec = execs++;
    const text = mutate(r, pick(r, REQUEST_CORPUS).bytes);
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
    if (problems.length) failures.push({ exec, bytes: JSON.stringify(text.slice(0, 2000)), problems });
  }
  const seconds = (performance.now() - started) / 1000;
  return { seed: opts.seed, corpusSize: REQUEST_CORPUS.length, execs, seconds, execsPerSecond: execs / seconds, failures, disagreements };
}

export function formatReport(report: FuzzReport): string {
  const lines = [
    `request fuzz: seed ${report.seed}, corpus ${report.corpusSize} cases, ${report.execs} execs in ${report.seconds.toFixed(1)} s (${report.execsPerSecond.toFixed(0)} execs/s), ${report.failures.length} failures`,
  ];
  const kinds = [...report.disagreements.entries()].sort((a, b) => b[1].count - a[1].count);
  if (kinds.length) lines.push('disagreements with llhttp (kind, count, example):');
  for (const [kind, d] of kinds) lines.push(`  ${kind}: ${d.count}, e.g. ${d.example.slice(0, 160)}`);
  for (const f of report.failures.slice(0, 10)) lines.push(`FAIL exec ${f.exec}: ${f.problems.join('; ')}\n  bytes ${f.bytes.slice(0, 400)}`);
  return lines.join('\n');
}
