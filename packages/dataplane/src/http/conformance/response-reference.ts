import { createRequire } from 'node:module';

/**
 * llhttp (node's own parser, reached through the internal `_http_common`, in its default strict
 * mode) reading what a backend sent: the reference the response fuzzer holds the proxy to.
 */

interface LlhttpParser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  execute(data: Buffer): number | (Error & { code?: string; bytesParsed?: number });
  finish(): undefined | (Error & { code?: string });
  close(): void;
  [event: number]: unknown;
}
interface LlhttpModule {
  HTTPParser: (new () => LlhttpParser) & Record<'RESPONSE' | 'kLenientSpacesAfterChunkSize' | 'kLenientKeepAlive' | 'kOnHeaders' | 'kOnHeadersComplete' | 'kOnBody' | 'kOnMessageComplete', number>;
}
const { HTTPParser } = createRequire(import.meta.url)('_http_common') as LlhttpModule;

/** Above the proxy's 64 KiB head limit: a head llhttp refuses for its size, the proxy refuses too. */
const MAX_HEADER_SIZE = 80 * 1024;
/** Bytes fed per execute while looking for the final response's end (then one at a time, within the block). */
const BLOCK = 64;

/** A final (non-1xx) response as llhttp read it. */
export interface ReferenceResponse {
  status: number;
  /** Raw pairs, values as llhttp gives them (surrounding whitespace trimmed). */
  headers: [string, string][];
  body: string;
  /** It ended (by its framing, or, when `closed`, by the close); otherwise it was cut off or refused. */
  complete: boolean;
  /** Where it ended in the bytes (complete only). */
  end: number;
}

/** A 101 as llhttp read it: every byte after its head belongs to the new protocol. */
export interface ReferenceSwitch {
  headers: [string, string][];
  /** Where its head ended in the bytes. */
  end: number;
}

export interface ReferenceReading {
  /** The first final response, from its head on; undefined when llhttp read no final head. */
  final: ReferenceResponse | undefined;
  /** A 101 came before any final response (llhttp switches on any 101, asked for or not). */
  switched: ReferenceSwitch | undefined;
  /** llhttp's error (its code and reason), when it stopped at one before the final response ended. */
  error: string | undefined;
}

/**
 * Reads `bytes` as the answer to one request (`head`: a HEAD request, whose answer has no body);
 * `closed`: the backend closed its side after them (which ends a body delimited by the close).
 * Interim 1xx answers are skipped, as a client of the proxy never sees them.
 */
export function referenceRead(bytes: Buffer, opts: ReadOptions): ReferenceReading {
  const first = run(bytes, opts, BLOCK);
  if (!first.switched && (!first.final?.complete || first.closedEnd)) return first;
  // The block in which the final response (or the 101's head) ended is fed again a byte at a time, to find where.
  return run(bytes, opts, 1, Math.ceil(first.completedBy! / BLOCK) * BLOCK - BLOCK);
}

/**
 * Where the proxy may read what strict llhttp refuses, and why: re-read with that one lenient
 * flag, llhttp must then read what the proxy passed on.
 */
export const LENIENCIES = {
  spacesAfterChunkSize: 'proxy reads whitespace before a chunk extension (BWS, RFC 9112 §7.1.1), strict llhttp refuses it',
  keepAlive: 'proxy ignores Connection (or Proxy-Connection): close on an interim answer, llhttp stops reading after it',
} as const;
export type Leniency = keyof typeof LENIENCIES;
const LENIENT_FLAG: Record<Leniency, 'kLenientSpacesAfterChunkSize' | 'kLenientKeepAlive'> = {
  spacesAfterChunkSize: 'kLenientSpacesAfterChunkSize',
  keepAlive: 'kLenientKeepAlive',
};

export interface ReadOptions {
  head: boolean;
  closed: boolean;
  /** One of llhttp's lenient flags, for a difference allowed (see `LENIENCIES`). */
  lenient?: Leniency;
}

interface Run extends ReferenceReading {
  /** The end of the execute in which the final response completed. */
  completedBy?: number;
  closedEnd?: boolean;
}

function run(bytes: Buffer, opts: ReadOptions, step: number, from = 0): Run {
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.RESPONSE, {}, MAX_HEADER_SIZE, opts.lenient ? HTTPParser[LENIENT_FLAG[opts.lenient]] : 0);
  const out: Run = { final: undefined, switched: undefined, error: undefined };
  let pending: [string, string][] = [];
  let inFinal = false;
  let done = false;
  let fedTo = 0;
  parser[HTTPParser.kOnHeaders] = (h: string[]) => {
    if (!done && !out.final) for (let i = 0; i < h.length; i += 2) pending.push([h[i]!, h[i + 1]!]);
  };
  parser[HTTPParser.kOnHeadersComplete] = (_major: number, _minor: number, h: string[] | undefined, _m: unknown, _u: unknown, status: number) => {
    if (done) return 1;
    if (h) for (let i = 0; i < h.length; i += 2) pending.push([h[i]!, h[i + 1]!]);
    const headers = pending;
    pending = [];
    if (status === 101) {
      out.switched = { headers, end: fedTo };
      out.completedBy = fedTo;
      done = true;
      return 1;
    }
    if (status < 200) return 0;
    out.final = { status, headers, body: '', complete: false, end: -1 };
    inFinal = true;
    return opts.head ? 1 : 0;
  };
  parser[HTTPParser.kOnBody] = (b: Buffer) => {
    if (inFinal) out.final!.body += b.toString('latin1');
  };
  parser[HTTPParser.kOnMessageComplete] = () => {
    if (!inFinal) return;
    inFinal = false;
    done = true;
    out.final!.complete = true;
    out.final!.end = fedTo;
    out.completedBy = fedTo;
  };
  const fail = (e: Error & { code?: string }) => {
    if (!done) out.error = `${e.code} ${(e as { reason?: string }).reason ?? e.message}`;
  };
  if (from > 0) {
    fedTo = from;
    const r = parser.execute(bytes.subarray(0, from));
    if (r instanceof Error) fail(r);
  }
  for (let at = from; at < bytes.length && !done && out.error === undefined; at += step) {
    fedTo = Math.min(bytes.length, at + step);
    const r = parser.execute(bytes.subarray(at, fedTo));
    if (r instanceof Error) fail(r);
  }
  if (!done && out.error === undefined && opts.closed) {
    fedTo = bytes.length;
    const r = parser.finish();
    if (r instanceof Error) fail(r);
    else if (out.final?.complete) out.closedEnd = true;
  }
  parser.close();
  return out;
}
