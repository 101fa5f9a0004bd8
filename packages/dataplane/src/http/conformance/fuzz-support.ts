/** What the request and response fuzzers share: seeded picks, byte mutations, split writes, disagreement tallies. */
// The same seeded PRNG as the balancing tests: a fuzz run is reproducible from its seed.
import { seeded } from '../../balancing/test-support';

export { seeded };

/** Bytes that sit on parser edges. */
export const EDGE_BYTES = ['\r', '\n', '\0', ' ', '\t', ',', ';', ':', '0', '1', '9', 'a', 'f', 'F', 'x', '-', '+', '"', '/', '?', '#', '@', '*', '\x01', '\x0b', '\x7f', '\x80', '\xff'];

export type Rand = () => number;
export const pick = <T>(r: Rand, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
const at = (r: Rand, s: string) => Math.floor(r() * (s.length + 1));

/** What a mutation draws from: bytes and snippets that sit on parser edges, whole lines, other seeds. */
export interface Vocabulary {
  bytes: readonly string[];
  snippets: readonly string[];
  lines: readonly string[];
  seeds: readonly { bytes: string }[];
  /** Longer results are cut to this many characters. */
  maxLength: number;
}

/** 1–4 mutations of `input` (latin1 text, one character per byte), each drawn with `r`. */
export function mutate(r: Rand, input: string, v: Vocabulary): string {
  let s = input;
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const p = at(r, s);
    switch (Math.floor(r() * 8)) {
      case 0:
        s = s.slice(0, p) + pick(r, v.bytes) + s.slice(p + 1);
        break;
      case 1:
        s = s.slice(0, p) + pick(r, v.bytes) + s.slice(p);
        break;
      case 2:
        s = s.slice(0, p) + s.slice(p + 1 + Math.floor(r() * 8));
        break;
      case 3:
        s = s.slice(0, p) + pick(r, v.snippets) + s.slice(p);
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
        s = r() < 0.5 ? s + pick(r, v.seeds).bytes : pick(r, v.seeds).bytes + s;
        break;
      default: {
        const eol = s.indexOf('\r\n');
        if (eol >= 0) s = `${s.slice(0, eol + 2)}${pick(r, v.lines)}\r\n${s.slice(eol + 2)}`;
      }
    }
  }
  return s.length > v.maxLength ? s.slice(0, v.maxLength) : s;
}

/** Splits the bytes into 1–(cuts+1) writes at random places, so heads and bodies straddle reads. */
export function split(r: Rand, bytes: Buffer, maxCuts = 2): Buffer[] {
  const pieces: Buffer[] = [];
  let rest = bytes;
  const cuts = Math.floor(r() * (maxCuts + 1));
  for (let i = 0; i < cuts && rest.length > 1; i++) {
    const p = 1 + Math.floor(r() * (rest.length - 1));
    pieces.push(rest.subarray(0, p));
    rest = rest.subarray(p);
  }
  pieces.push(rest);
  return pieces;
}

/** Where the proxy and the reference read the same bytes differently, by kind, with a count and an example. */
export class Disagreements {
  readonly kinds = new Map<string, { count: number; example: string }>();

  note(kind: string, example: string): void {
    const d = this.kinds.get(kind);
    if (d) d.count++;
    else this.kinds.set(kind, { count: 1, example });
  }

  /** The kinds, most frequent first, as report lines under `title`. */
  lines(title: string): string[] {
    const kinds = [...this.kinds.entries()].sort((a, b) => b[1].count - a[1].count);
    if (!kinds.length) return [];
    return [title, ...kinds.map(([kind, d]) => `  ${kind}: ${d.count}, e.g. ${d.example.slice(0, 160)}`)];
  }
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
  /** Where the proxy and the reference read the same bytes differently, by kind, with a count and an example. */
  disagreements: Disagreements;
}

/**
 * Runs `exec` (seeded from `opts.seed`, so a run is reproducible) until `opts.execs` have run or
 * `opts.seconds` have passed; each exec adds its failures and disagreements to the report.
 */
export async function fuzzLoop(opts: { seed: number; execs?: number; seconds?: number }, corpusSize: number, exec: (r: Rand, id: number, report: FuzzReport) => Promise<void>): Promise<FuzzReport> {
  const r = seeded(opts.seed);
  const report: FuzzReport = { seed: opts.seed, corpusSize, execs: 0, seconds: 0, execsPerSecond: 0, failures: [], disagreements: new Disagreements() };
  const started = performance.now();
  const until = opts.seconds === undefined ? Infinity : started + opts.seconds * 1000;
  const maxExecs = opts.execs ?? Infinity;
  while (report.execs < maxExecs && performance.now() < until) await exec(r, report.execs++, report);
  report.seconds = (performance.now() - started) / 1000;
  report.execsPerSecond = report.execs / report.seconds;
  return report;
}

/** The report as text: a summary line, the disagreements under `title`, the first ten failures. */
export function formatFuzzReport(what: string, report: FuzzReport, title: string): string {
  return [
    `${what}: seed ${report.seed}, corpus ${report.corpusSize} cases, ${report.execs} execs in ${report.seconds.toFixed(1)} s (${report.execsPerSecond.toFixed(0)} execs/s), ${report.failures.length} failures`,
    ...report.disagreements.lines(title),
    ...report.failures.slice(0, 10).map((f) => `FAIL exec ${f.exec}: ${f.problems.join('; ')}\n  bytes ${f.bytes.slice(0, 400)}`),
  ].join('\n');
}
