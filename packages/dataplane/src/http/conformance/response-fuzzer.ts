import { ResponseParser } from '../upstream/response-parser';
import { EDGE_BYTES, type FuzzReport, type Rand, type Vocabulary, formatFuzzReport, fuzzLoop, mutate, pick, split } from './fuzz-support';
import { type ProxyAnswer, endToEnd, readProxyAnswer } from './proxy-answer';
import { RESPONSE_CORPUS, type ResponseCase } from './response-corpus';
import type { ResponseExec, ResponseHarness, ResponseRun } from './response-harness';
import { LENIENCIES, type Leniency, type ReferenceReading, type ReferenceResponse, referenceRead } from './response-reference';

const SNIPPETS = [
  '\r\n',
  '\r\n\r\n',
  ' ',
  '\r\n ',
  'chunked',
  'identity',
  ', chunked',
  '0\r\n\r\n',
  '3\r\nabc\r\n',
  ';ext="a;b"',
  'fffffffffffff',
  '0000000000003',
  'HTTP/1.0',
  'HTTP/1.1 100 Continue\r\n\r\n',
  'HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nLEAK',
  'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n',
  '101',
  'websocket',
];
const HEADER_LINES = [
  'Content-Length: 3',
  'Content-Length: 0',
  'Content-Length: 03',
  'Content-Length: 5, 5',
  'Transfer-Encoding: chunked',
  'Transfer-Encoding: gzip, chunked',
  'Transfer-Encoding: chunked, identity',
  'Transfer-Encoding: identity',
  'Connection: close',
  'Connection: keep-alive',
  'Connection: content-length',
  'Connection: transfer-encoding',
  'Connection: x-a',
  'Keep-Alive: timeout=5',
  'Proxy-Connection: close',
  'Upgrade: h2c',
  'Upgrade: websocket',
  'Upgrade: WebSocket, h2c',
  'Connection: Upgrade',
  'Connection: close, upgrade',
  'Trailer: X-T',
  'X-A: 1',
  'X-Fold: a\r\n b',
];
const VOCABULARY: Vocabulary = { bytes: EDGE_BYTES, snippets: SNIPPETS, lines: HEADER_LINES, seeds: RESPONSE_CORPUS, maxLength: 48 * 1024 };

/** How the request of an exec asks: a HEAD, a WebSocket upgrade, or neither (a GET). */
export interface ExecRequest {
  head: boolean;
  upgrade: boolean;
}

/**
 * An exec of `bytes` answering the request: the reference's reading decides whether the backend
 * closes after them (always when llhttp finds neither a whole final response nor a 101, so
 * neither side waits for bytes that never come; at times anyway) and whether bytes follow the response.
 */
export function execOf(id: number, bytes: Buffer, pieces: Buffer[], asked: ExecRequest, closeAnyway: boolean): { exec: ResponseExec; ref: ReferenceReading } {
  const { head, upgrade } = asked;
  const open = referenceRead(bytes, { head, closed: false });
  const close = closeAnyway || (!open.final?.complete && !open.switched);
  const ref = close ? referenceRead(bytes, { head, closed: true }) : open;
  const leftover = ref.final?.complete === true && ref.final.end < bytes.length;
  const tunnel = ref.switched ? bytes.length - ref.switched.end : -1;
  return { exec: { id, pieces, head, close, leftover, upgrade, tunnel }, ref };
}

/** Why the proxy's response parser refuses the pieces (as the proxy was fed them), if it does. */
function proxyReason(exec: ResponseExec): string {
  const parser = new ResponseParser({ head() {}, body() {}, end() {} });
  parser.start(exec.head, exec.upgrade ? ['websocket'] : undefined);
  for (const p of exec.pieces) {
    const err = parser.feed(p);
    if (err) return err.message;
    if (parser.idle) return 'no error';
  }
  return (exec.close ? parser.finish()?.message : undefined) ?? 'no error';
}

const isProxyPage = (a: ProxyAnswer) => (a.status === 502 || a.status === 504) && a.headers.some(([n]) => n === 'X-Fulcrum-Error');
const contentLengths = (h: readonly [string, string][]) => {
  const named = h.filter(([n]) => n.toLowerCase() === 'connection').some(([, v]) => /(^|,)\s*content-length\s*(,|$)/i.test(v));
  return named ? [] : h.filter(([n]) => n.toLowerCase() === 'content-length').map(([, v]) => v);
};
const show = (x: unknown) => JSON.stringify(x).slice(0, 300);

/** llhttp's readings with each allowed leniency, where it reads a final head. */
function lenientReads(exec: ResponseExec): { leniency: Leniency; final: ReferenceResponse }[] {
  const bytes = Buffer.concat(exec.pieces);
  const out: { leniency: Leniency; final: ReferenceResponse }[] = [];
  for (const leniency of Object.keys(LENIENCIES) as Leniency[]) {
    const final = referenceRead(bytes, { head: exec.head, closed: exec.close, lenient: leniency }).final;
    if (final) out.push({ leniency, final });
  }
  return out;
}

export interface Verdict {
  outcome: ResponseCase['outcome'] | undefined;
  problems: string[];
  /** A kind of difference from llhttp that is allowed (the proxy is stricter, or lenient where the RFC is). */
  stricter: string | undefined;
}

/**
 * What the client got, held to what llhttp reads from the backend's bytes: a refusal (the proxy's
 * 502 page, or a close once the head was out), or the same status, end-to-end fields and body,
 * framed one way; then the next request's own answer, nothing of this one's.
 */
export function judge(exec: ResponseExec, ref: ReferenceReading, run: ResponseRun): Verdict {
  const problems = [...run.problems];
  const final = ref.final;
  const readable = final?.complete === true;
  let outcome: Verdict['outcome'];
  let stricter: string | undefined;
  const sameHead = (status: number, headers: [string, string][], final = ref.final) => {
    if (!final) return problems.push(`the proxy sent a head where llhttp reads none (${ref.error ?? (ref.switched ? '101' : 'no error')})`);
    if (status !== final.status) problems.push(`status ${status}, llhttp read ${final.status}`);
    const ours = show(endToEnd(headers));
    const theirs = show(endToEnd(final.headers));
    if (ours !== theirs) problems.push(`fields ${ours}, llhttp read ${theirs}`);
    const bodiless = exec.head || status === 204 || status === 304;
    if (bodiless && show(contentLengths(headers)) !== show(contentLengths(final.headers)))
      problems.push(`Content-Length ${show(contentLengths(headers))} on a bodiless answer, llhttp read ${show(contentLengths(final.headers))}`);
  };
  const read = readProxyAnswer(run.first, 0, { head: exec.head, closed: run.firstClosed, upgrade: exec.upgrade });
  if (read.kind === 'malformed') problems.push(`the client cannot read the proxy's answer: ${read.why}`);
  else if (read.kind === 'answer' && read.answer.status === 101) {
    outcome = 'tunnel';
    const answer = read.answer;
    // llhttp stops reading at an interim answer saying Connection: close; the proxy reads on (LENIENCIES.keepAlive).
    const lenient = ref.switched ? undefined : referenceRead(Buffer.concat(exec.pieces), { head: false, closed: exec.close, lenient: 'keepAlive' });
    if (lenient?.switched) stricter = LENIENCIES.keepAlive;
    const switched = ref.switched ?? lenient?.switched;
    if (!switched || ref.final) problems.push(`the proxy opened a tunnel where llhttp reads ${ref.final ? `a ${ref.final.status} first` : (ref.error ?? 'no 101')}`);
    else {
      const ours = show(endToEnd(answer.headers));
      const theirs = show(endToEnd(switched.headers));
      if (ours !== theirs) problems.push(`101 fields ${ours}, llhttp read ${theirs}`);
      const upgrade = (h: [string, string][]) => h.filter(([n]) => n.toLowerCase() === 'upgrade').map(([, v]) => v);
      if (show(upgrade(answer.headers)) !== show(upgrade(switched.headers))) problems.push(`101 Upgrade ${show(upgrade(answer.headers))}, the backend's ${show(upgrade(switched.headers))}`);
      const tunnelled = run.first.slice(answer.end);
      const sent = Buffer.concat(exec.pieces).toString('latin1').slice(switched.end);
      if (tunnelled !== sent) problems.push(`the tunnel gave the client ${show(tunnelled)}, the backend sent ${show(sent)} after its 101`);
    }
    if (!run.early) problems.push("the client's bytes after its upgrade request did not reach the backend through the tunnel");
  } else if (read.kind === 'partial') {
    if (!run.firstClosed) problems.push('the proxy neither finished its answer nor closed');
    else if (!read.head) problems.push(`the proxy closed without an answer (${show(run.first)})`);
    else {
      outcome = 'cut';
      const lenient = final ? undefined : lenientReads(exec).find((l) => l.leniency === 'keepAlive');
      if (lenient) stricter = LENIENCIES.keepAlive;
      sameHead(read.head.status, read.head.headers, lenient?.final ?? final);
      const bodies = [final, ...(readable ? [] : lenientReads(exec).map((l) => l.final))].map((f) => f?.body ?? '');
      if (final && !bodies.some((b) => b.startsWith(read.body))) problems.push(`the cut body ${show(read.body)} is not the start of llhttp's ${show(final.body)}`);
      if (readable) stricter = `proxy cuts (${proxyReason(exec)}), llhttp reads it`;
    }
  } else {
    const answer = read.answer;
    if (answer.end !== run.first.length) problems.push(`bytes after the answer: ${show(run.first.slice(answer.end))}`);
    if (isProxyPage(answer) && !final?.headers.some(([n]) => n === 'X-Fulcrum-Error')) {
      outcome = 'refused';
      if (answer.status === 504 && readable) problems.push('the proxy waited for more than llhttp reads (504)');
      else if (readable) stricter = `proxy refuses (${proxyReason(exec)}), llhttp reads it`;
      else if (ref.switched) stricter = `proxy refuses a 101 (${proxyReason(exec)}), llhttp switches`;
    } else {
      outcome = 'passed';
      // With kLenientKeepAlive llhttp may not report the end of a body it read whole: its head and
      // body are still compared below.
      const lenient = readable ? undefined : lenientReads(exec).find((l) => l.final.complete || l.leniency === 'keepAlive');
      const reference = lenient?.final ?? final;
      if (lenient) stricter = LENIENCIES[lenient.leniency];
      else if (!readable) problems.push(`the proxy passed on an answer llhttp ${ref.error ? `refuses (${ref.error})` : 'reads no whole final response of'}`);
      sameHead(answer.status, answer.headers, reference);
      if (reference && answer.body !== reference.body) problems.push(`body ${show(answer.body)}, llhttp read ${show(reference.body)}`);
    }
  }
  if (exec.upgrade && outcome !== 'tunnel') {
    if (run.early) problems.push("the client's bytes after its upgrade request reached the backend without a 101");
    if (!run.firstClosed) problems.push('the client connection stayed open after an upgrade request got no 101');
    if (read.kind === 'answer' && read.answer.keepAlive) problems.push('the answer to an upgrade request that switched nothing says keep-alive, and the proxy closes');
  }
  const next = readProxyAnswer(run.next, 0, { head: false, closed: false });
  const want = `next ${exec.id}`;
  if (
    next.kind !== 'answer' ||
    next.answer.status !== 200 ||
    next.answer.body !== want ||
    next.answer.end !== run.next.length ||
    !next.answer.headers.some(([n, v]) => n === 'X-Next' && v === String(exec.id))
  ) {
    problems.push(`the next request got ${show(run.next)}`);
  }
  return { outcome, problems, stricter };
}

/** A corpus case, its bytes in `pieces` (all in one write by default). */
export async function runCase(harness: ResponseHarness, c: ResponseCase, id: number, pieces?: Buffer[]): Promise<Verdict> {
  const bytes = Buffer.from(c.bytes, 'latin1');
  const { exec, ref } = execOf(id, bytes, pieces ?? [bytes], { head: c.head === true, upgrade: c.upgrade === true }, false);
  return judge(exec, ref, await harness.run(exec));
}

function mutated(r: Rand): { bytes: Buffer; asked: ExecRequest } {
  const seed = pick(r, RESPONSE_CORPUS);
  const text = r() < 0.9 ? mutate(r, seed.bytes, VOCABULARY) : seed.bytes;
  // An upgrade asks with a GET; now and then a seed's request is the other one.
  const upgrade = r() < 0.1 ? !seed.upgrade : seed.upgrade === true;
  const head = !upgrade && (r() < 0.1 ? !seed.head : seed.head === true);
  return { bytes: Buffer.from(text, 'latin1'), asked: { head, upgrade } };
}

/**
 * Mutates corpus answers (seeded, so a run is reproducible), has the backend write each in 1–5
 * pieces, and judges what the client got (see `judge`).
 */
export function fuzzResponses(harness: ResponseHarness, opts: { seed: number; execs?: number; seconds?: number }): Promise<FuzzReport> {
  return fuzzLoop(opts, RESPONSE_CORPUS.length, async (r, id, report) => {
    const { bytes, asked } = mutated(r);
    const { exec, ref } = execOf(id, bytes, split(r, bytes, 4), asked, r() < 0.25);
    const verdict = judge(exec, ref, await harness.run(exec));
    if (verdict.stricter) report.disagreements.note(verdict.stricter, JSON.stringify(bytes.toString('latin1').slice(0, 300)));
    if (verdict.problems.length) {
      const how = `in pieces ${exec.pieces.map((p) => p.length).join('+')}${asked.head ? ', to HEAD' : ''}${asked.upgrade ? ', to an upgrade' : ''}${exec.close ? ', then close' : ''}`;
      report.failures.push({ exec: id, bytes: `${JSON.stringify(bytes.toString('latin1').slice(0, 2000))} ${how}`, problems: verdict.problems });
    }
  });
}

export function formatResponseReport(report: FuzzReport): string {
  return formatFuzzReport('response fuzz', report, 'allowed differences from llhttp (kind, count, example):');
}
