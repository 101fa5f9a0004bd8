import { Buffer } from 'node:buffer';
import { Byte, FIELD_LINE, FieldCut, isNamed, namedAt, owsTrimmed, upgradeProtocols, VALUE_BYTE } from '../field-syntax';
import { hopByHopAt, namesOtherFields } from '../headers';

/** What a parsed response reports, in order: one head, body pieces, one end. */
export interface ResponseEvents {
  /**
   * `lines`: the header lines as received, less hop-by-hop ones, each with its CRLF (what a proxy
   * passes on unchanged); undefined when a line is not written `Name: value` (one space after the
   * colon, none at the end), or the Connection header names other fields, which only the pairs
   * can be filtered of. `sized`: the response's length is given by a Content-Length header.
   */
  head(status: number, statusText: string, fields: ResponseFields, lines: string | undefined, sized: boolean): void;
  /**
   * `last` is set when the piece completes a body of known length, so it can go out with the end.
   * The piece may be a view of the connection's read buffer (see `UpstreamConnection`).
   */
  body(chunk: Buffer, last: boolean): void;
  /** `reusable`: the connection may carry another request (keep-alive, and nothing left over). */
  end(reusable: boolean): void;
}

/**
 * A response head's fields as name, value pairs, made into strings on first use: most answers go
 * on as their lines, and then no pair is ever read. `spans` holds four offsets into `text` per
 * field (name start and end, value start and end).
 */
export class ResponseFields {
  private made: string[] | undefined;

  constructor(
    private readonly text: string,
    private readonly spans: number[],
  ) {}

  /** The fields in order, as name, value, name, value... (as node:http's rawHeaders). */
  pairs(): string[] {
    if (this.made) return this.made;
    const { text, spans } = this;
    const out: string[] = [];
    for (let i = 0; i < spans.length; i += 2) out.push(text.slice(spans[i], spans[i + 1]));
    this.made = out;
    return out;
  }
}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_HEADERS = 256;
/** Interim answers (100, 103) before the final one; more is a backend stuck in a loop or hostile. */
const MAX_INTERIM = 16;
const MAX_CHUNK_LINE = 4096;
const MAX_TRAILER_BYTES = 64 * 1024;
/** At most 15 digits: exact as a double, far beyond any real body. */
const LENGTH = /^\d{1,15}$/;
/**
 * A chunk size, then optional extensions (RFC 9112 §7.1.1: `;name` or `;name=value`, the value a
 * token or a quoted string); whitespace only before the first `;`, as strict llhttp reads them.
 * They are dropped, but a line that is no chunk line is refused, not read past.
 */
const CHUNK_SIZE = /^([0-9a-fA-F]{1,12})(?:[ \t]*(?:;[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:=(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+|"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\xff]|\\[\t \x21-\x7e\x80-\xff])*"))?)+)?$/;
const CONTENT_LENGTH = Buffer.from('content-length');
const TRANSFER_ENCODING = Buffer.from('transfer-encoding');
const CONNECTION = Buffer.from('connection');
const UPGRADE = Buffer.from('upgrade');

/**
 * Why a 101 to a request that offered `offered` (lower-cased protocols) may not open a tunnel:
 * it must be HTTP/1.1, say `Connection: upgrade` with one Upgrade field (RFC 9110 §7.8, §15.2.2),
 * and switch only to protocols the request offered (a backend switching a WebSocket request to
 * h2c would take the client past the proxy's parsing). Undefined when it may.
 */
function switchRefusal(http11: boolean, connection: string, upgrades: string[], offered: readonly string[]): string | undefined {
  if (!http11) return '101 Switching Protocols in HTTP/1.0';
  if (!connection.split(',').some((t) => isNamed(owsTrimmed(t), 'upgrade'))) return '101 Switching Protocols without Connection: upgrade';
  if (upgrades.length !== 1) return `101 Switching Protocols with ${upgrades.length} Upgrade fields`;
  const protocols = upgradeProtocols(upgrades[0]!);
  if (!protocols) return '101 Switching Protocols with a malformed Upgrade';
  if (!protocols.every((p) => offered.includes(p))) return '101 Switching Protocols to a protocol the request did not offer';
  return undefined;
}

/** What a head byte is to the scan: ordinary, CR, LF, or a control byte (not HTAB) or DEL. */
const enum HeadByte {
  Ordinary,
  Cr,
  Lf,
  Control,
}
const HEAD_BYTE = new Uint8Array(256);
for (let c = 0; c < 32; c++) HEAD_BYTE[c] = HeadByte.Control;
HEAD_BYTE[Byte.HTAB] = HeadByte.Ordinary;
HEAD_BYTE[Byte.DEL] = HeadByte.Control;
HEAD_BYTE[Byte.CR] = HeadByte.Cr;
HEAD_BYTE[Byte.LF] = HeadByte.Lf;

const BLANK_LINE = Buffer.from('\r\n\r\n', 'latin1');

/** The offset just past the first CRLFCRLF from `at` (a native search), -1 when there is none. */
function headEnd(buf: Buffer, at: number): number {
  const i = buf.indexOf(BLANK_LINE, at);
  return i < 0 ? -1 : i + 4;
}

/** Why the head byte at `i` (not one its place allows) refuses the head: the scan's reasons, or `otherwise`. */
function badHeadByte(buf: Buffer, i: number, otherwise: string): Error {
  switch (HEAD_BYTE[buf[i]!]) {
    case HeadByte.Cr:
      return new Error(buf[i + 1] === Byte.LF ? otherwise : 'bare CR in response head');
    case HeadByte.Lf:
      return new Error('bare LF in response head');
    case HeadByte.Control:
      return new Error('control character in response head');
    default:
      return new Error(otherwise);
  }
}

/** Whether an HTAB lies in `buf` from `from` to `to`. */
function hasTab(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] === Byte.HTAB) return true;
  return false;
}

function digitAt(buf: Buffer, i: number, min: number): number {
  const c = buf[i]!;
  return c >= min && c <= Byte.DIGIT_9 ? c - Byte.DIGIT_0 : -1;
}

/** `HTTP/1.`, the status line's start. */
const HTTP_1 = Buffer.from('HTTP/1.', 'latin1');

/**
 * The status of a status line `HTTP/1.0` or `HTTP/1.1`, a space, three digits (the first 1-9),
 * then nothing or a space and any reason (the line starts at `from` of `buf` and ends at `eol`);
 * 0 when it is not one. Read as bytes: a string's characters cost more to read.
 */
function statusAt(buf: Buffer, from: number, eol: number): number {
  const length = eol - from;
  if (length < 12 || buf[from + 8] !== Byte.SP) return 0;
  for (let k = 0; k < 7; k++) if (buf[from + k] !== HTTP_1[k]) return 0;
  const minor = buf[from + 7];
  if (minor !== Byte.DIGIT_0 && minor !== Byte.DIGIT_1) return 0;
  if (length > 12 && buf[from + 12] !== Byte.SP) return 0;
  const a = digitAt(buf, from + 9, Byte.DIGIT_1);
  const b = digitAt(buf, from + 10, Byte.DIGIT_0);
  const c = digitAt(buf, from + 11, Byte.DIGIT_0);
  return a < 0 || b < 0 || c < 0 ? 0 : a * 100 + b * 10 + c;
}

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
  /** After a 101 to an upgrade request: every byte is the new protocol's, until the connection closes. */
  Tunnel,
  Done,
}

/**
 * An incremental HTTP/1.1 response parser for the upstream side of the proxy: the head becomes
 * raw header pairs, the body comes out as it arrives (chunked bodies decoded; the server side
 * re-frames them). Node's own parser is internal (`_http_common`, deprecated as API), and
 * node:http's client costs several times the rest of the proxy per request, hence this.
 *
 * Strict where responses get smuggled or desynchronised (llhttp's strict mode is the model):
 * every line ends in CRLF (a bare CR or LF, NUL or other control byte in the head is refused),
 * header names are tokens (no obs-fold, no space before the colon), one framing only (CL and TE
 * together, a repeated CL, a Transfer-Encoding other than a single `chunked` are refused), bad
 * chunk sizes, heads over 64 KiB or 256 headers, more than 16 interim answers. A head read
 * whole is found by a native search for its blank line and checked byte by byte as it is parsed;
 * one split across reads is scanned as it arrives, each byte once, so a head trickled a byte at a
 * time costs linear time and is refused at its first bad byte.
 */
export class ResponseParser {
  private state = State.Done;
  private noBody = false;
  /** The protocols the request offered to switch to (lower-cased); undefined when it asked for no upgrade. */
  private upgrade: readonly string[] | undefined;
  private keepAlive = true;
  private left = 0;
  /**
   * Head bytes read so far, when a head spans reads (chunk and trailer line leftovers too): one
   * buffer grown by doubling, so a head trickled a byte at a time costs linear time and memory.
   */
  private kept: Buffer | undefined;
  private partBytes = 0;
  /** Head scan state: the previous byte was CR; bytes in the current line. */
  private cr = false;
  private lineBytes = 0;
  private interim = 0;
  private trailerBytes = 0;

  constructor(private readonly events: ResponseEvents) {}

  /**
   * Expects the next response. `noBody` for an answer to HEAD, which has framing headers but no
   * body; `upgrade`, the protocols an upgrade request offered: a 101 switching to them opens a tunnel.
   */
  start(noBody: boolean, upgrade?: readonly string[]): void {
    this.state = State.Head;
    this.noBody = noBody;
    this.upgrade = upgrade;
    this.resetHead();
    this.interim = 0;
  }

  get idle(): boolean {
    return this.state === State.Done;
  }

  /**
   * Body bytes still to come: the rest of a body of known length, Infinity for a chunked or
   * close-delimited one, 0 outside a body (head, tunnel, done).
   */
  get bodyLeft(): number {
    switch (this.state) {
      case State.Length:
        return this.left;
      case State.ChunkSize:
      case State.ChunkData:
      case State.ChunkDataEnd:
      case State.UntilClose:
        return Infinity;
      default:
        return 0;
    }
  }

  /** Whether any byte of the current response has arrived. */
  get started(): boolean {
    return this.state !== State.Head || this.partBytes > 0 || this.interim > 0;
  }

  /** Feeds bytes from the socket; returns an error when they are not a valid response. */
  feed(data: Buffer): Error | undefined {
    let buf = data;
    let at = 0;
    while (at < buf.length) {
      switch (this.state) {
        case State.Head: {
          // A head read whole (the usual case) is found by its blank line and parsed where it
          // lies, the parse checking every byte; one spanning reads is scanned as it arrives.
          let err: Error | undefined;
          let end = this.partBytes === 0 ? headEnd(buf, at) : -1;
          if (end > 0) err = end - at > MAX_HEAD_BYTES ? new Error('response head too large') : this.parseHead(buf, at, end - 2);
          else {
            const scanned = this.scanHead(buf, at);
            if (typeof scanned !== 'number') return scanned;
            if (scanned < 0) {
              this.keep(buf.subarray(at));
              return undefined;
            }
            end = scanned;
            const head = this.take(buf.subarray(at, end));
            err = this.parseHead(head, 0, head.length - 2);
          }
          at = end;
          if (err) return err;
          if ((this.state as State) === State.Done) return this.finishMessage(at < buf.length);
          break;
        }
        case State.Length: {
          const n = Math.min(this.left, buf.length - at);
          this.left -= n;
          const last = this.left === 0;
          if (last) this.state = State.Done;
          this.events.body(buf.subarray(at, at + n), last);
          at += n;
          if (last) return this.finishMessage(at < buf.length);
          break;
        }
        case State.ChunkSize:
        case State.ChunkDataEnd:
        case State.Trailers: {
          // A line split across reads (rare): joined with the rest, so a CRLF split in two is found.
          if (this.partBytes > 0) {
            buf = this.take(buf.subarray(at));
            at = 0;
          }
          const eol = buf.indexOf('\r\n', at, 'latin1');
          if (eol < 0) {
            if (buf.length - at > MAX_CHUNK_LINE) return new Error('chunk line too long');
            this.keep(buf.subarray(at));
            return undefined;
          }
          if (eol - at > MAX_CHUNK_LINE) return new Error('chunk line too long');
          const line = buf.toString('latin1', at, eol);
          at = eol + 2;
          if (this.state === State.ChunkDataEnd) {
            if (line !== '') return new Error('missing CRLF after chunk data');
            this.state = State.ChunkSize;
          } else if (this.state === State.Trailers) {
            // Trailers are dropped (Trailer is hop-by-hop here); an empty line ends the message.
            if (line === '') {
              this.state = State.Done;
              return this.finishMessage(at < buf.length);
            }
            this.trailerBytes += line.length + 2;
            if (this.trailerBytes > MAX_TRAILER_BYTES) return new Error('trailers too large');
            // Each a field line, as in the head: anything else is a body read past its end.
            if (FIELD_LINE.cut(buf, eol - line.length) !== FieldCut.Ok) return new Error('malformed trailer');
          } else {
            const m = CHUNK_SIZE.exec(line);
            if (!m) return new Error('bad chunk size');
            this.left = parseInt(m[1]!, 16);
            this.state = this.left === 0 ? State.Trailers : State.ChunkData;
          }
          break;
        }
        case State.ChunkData: {
          const n = Math.min(this.left, buf.length - at);
          this.left -= n;
          this.events.body(buf.subarray(at, at + n), false);
          at += n;
          if (this.left === 0) this.state = State.ChunkDataEnd;
          break;
        }
        case State.UntilClose:
        case State.Tunnel:
          this.events.body(buf.subarray(at), false);
          at = buf.length;
          break;
        case State.Done:
          return new Error('data while no response was expected');
      }
    }
    return undefined;
  }

  /** The connection closed: ends a close-delimited body, otherwise reports the cut-off response. */
  finish(): Error | undefined {
    if (this.state === State.UntilClose || this.state === State.Tunnel) {
      this.state = State.Done;
      this.events.end(false);
      return undefined;
    }
    if (this.state === State.Done) return undefined;
    return new Error(this.started ? 'connection closed mid-response' : 'connection closed before a response');
  }

  /**
   * Scans head bytes from `at` once each: every LF must follow a CR, a CR must precede an LF,
   * no control byte but HTAB. Returns the offset just past the blank line, -1 if the head goes
   * on in the next read, or the error.
   */
  private scanHead(buf: Buffer, at: number): number | Error {
    let cr = this.cr;
    let lineBytes = this.lineBytes;
    const limit = Math.min(buf.length, at + MAX_HEAD_BYTES - this.partBytes);
    const headByte = HEAD_BYTE;
    let i = at;
    while (i < limit) {
      if (cr) {
        if (buf[i] !== Byte.LF) return new Error('bare CR in response head');
        cr = false;
        if (lineBytes === 0) {
          this.cr = false;
          this.lineBytes = 0;
          return i + 1;
        }
        lineBytes = 0;
        i++;
        continue;
      }
      // The run of ordinary bytes up to the next CR, LF or control byte, in a tight loop.
      const from = i;
      let kind = HeadByte.Ordinary;
      while (i < limit && (kind = headByte[buf[i]!]!) === HeadByte.Ordinary) i++;
      lineBytes += i - from;
      if (i === limit) break;
      if (kind === HeadByte.Cr) {
        cr = true;
        i++;
      } else if (kind === HeadByte.Lf) return new Error('bare LF in response head');
      else return new Error('control character in response head');
    }
    if (limit < buf.length || this.partBytes + buf.length - at > MAX_HEAD_BYTES) return new Error('response head too large');
    this.cr = cr;
    this.lineBytes = lineBytes;
    return -1;
  }

  private keep(piece: Buffer): void {
    const need = this.partBytes + piece.length;
    if (!this.kept || this.kept.length < need) {
      // A copy either way: the caller's buffer is reused for the next read.
      const grown = Buffer.allocUnsafe(Math.max(need, 2 * (this.kept?.length ?? 256)));
      if (this.kept) this.kept.copy(grown, 0, 0, this.partBytes);
      this.kept = grown;
    }
    piece.copy(this.kept, this.partBytes);
    this.partBytes = need;
  }

  /** The kept bytes with `piece` after them, as one buffer (the kept buffer is handed over, not reused). */
  private take(piece: Buffer): Buffer {
    if (this.partBytes === 0) return piece;
    this.keep(piece);
    const whole = this.kept!.subarray(0, this.partBytes);
    this.kept = undefined;
    this.partBytes = 0;
    return whole;
  }

  private resetHead(): void {
    this.kept = undefined;
    this.partBytes = 0;
    this.cr = false;
    this.lineBytes = 0;
  }

  /**
   * Parses the head in `buf` from `from` to `to` (its lines, each with its CRLF, without the
   * blank line) and checks every byte as it goes: each line ends in CRLF (no bare CR or LF), the
   * status line and values hold field-value bytes (no control byte but HTAB), names are tokens.
   * Header lines are cut as bytes by `FIELD_LINE`, as the request parser cuts them; strings are
   * made only of what is kept (a string's characters cost more to read than a buffer's bytes).
   */
  private parseHead(buf: Buffer, from: number, to: number): Error | undefined {
    const valueByte = VALUE_BYTE;
    let eol = from;
    while (valueByte[buf[eol]!] === 1) eol++;
    if (buf[eol] !== Byte.CR || buf[eol + 1] !== Byte.LF) return badHeadByte(buf, eol, 'malformed status line');
    const text = buf.toString('latin1', from, to);
    const status = statusAt(buf, from, eol);
    if (status === 0) return new Error('malformed status line');
    const reason = eol - from > 12 ? text.slice(13, eol - from) : '';
    const http11 = buf[from + 7] === Byte.DIGIT_1;
    // Each field's offsets in `text` (see ResponseFields): strings only for what is read here.
    const spans: number[] = [];
    let length: string | undefined;
    let encodings = 0;
    let chunked = false;
    let connection = '';
    let upgrades: string[] | undefined;
    // The lines passed on: runs of the text between hop-by-hop lines; only when every line is
    // written as the proxy would write it (a client sees the same bytes either way).
    let lines = '';
    let canonical = true;
    let keptFrom = eol + 2 - from;
    const field = FIELD_LINE;
    for (let at = eol + 2; at < to; at = eol + 2) {
      if (spans.length === 4 * MAX_HEADERS) return new Error('too many response headers');
      const cut = field.cut(buf, at);
      if (cut !== FieldCut.Ok) return badHeadByte(buf, cut === FieldCut.BadName ? field.nameEnd : field.eol, 'malformed header line');
      const nameEnd = field.nameEnd;
      eol = field.eol;
      if (!field.canonical) canonical = false;
      const valueStart = field.valueStart - from;
      const valueEnd = field.valueEnd - from;
      spans.push(at - from, nameEnd - from, valueStart, valueEnd);
      const nameLength = nameEnd - at;
      if (nameLength === 14 && namedAt(buf, at, CONTENT_LENGTH)) {
        const value = text.slice(valueStart, valueEnd);
        // Even a repeated same value: passed on, it would reach the client twice, and strict clients refuse that.
        // A tab after the digits is whitespace to RFC 9110 but refused by strict llhttp (no lenient
        // flag reads it), so a client might frame the answer otherwise: refused here too.
        if (!LENGTH.test(value) || length !== undefined || hasTab(buf, field.valueEnd, eol)) return new Error('bad Content-Length');
        length = value;
      } else if (nameLength === 17 && namedAt(buf, at, TRANSFER_ENCODING)) {
        encodings++;
        chunked = isNamed(text.slice(valueStart, valueEnd), 'chunked');
      } else if (nameLength === 10 && namedAt(buf, at, CONNECTION)) {
        connection += `${text.slice(valueStart, valueEnd).toLowerCase()},`;
      } else if (nameLength === 7 && status === 101 && namedAt(buf, at, UPGRADE)) {
        (upgrades ??= []).push(text.slice(valueStart, valueEnd));
      }
      if (hopByHopAt(buf, at, nameLength)) {
        lines += text.slice(keptFrom, at - from);
        keptFrom = eol + 2 - from;
      }
    }
    lines += text.slice(keptFrom, to - from);
    // A Connection header naming other fields: only the pairs are filtered of them.
    const forward = canonical && (connection === '' || connection === 'keep-alive,' || !namesOtherFields(connection)) ? lines : undefined;
    // Both framings at once is how responses get smuggled past one parser and not another (even
    // on an interim answer, which has no body: a backend sending it is out of step or hostile).
    if (encodings > 0 && length !== undefined) return new Error('both Transfer-Encoding and Content-Length');
    const fields = new ResponseFields(text, spans);
    if (status < 200) {
      if (status === 101 && this.upgrade) {
        const refusal = switchRefusal(http11, connection, upgrades ?? [], this.upgrade);
        if (refusal) return new Error(refusal);
        this.keepAlive = false;
        this.events.head(status, reason, fields, forward, length !== undefined);
        this.state = State.Tunnel;
        return undefined;
      }
      // A 101 to a request that asked for no upgrade would switch protocols mid-stream.
      if (status === 101) return new Error('unexpected 101 Switching Protocols');
      // Interim answers (100 Continue, 103 Early Hints) are skipped, a bounded number of them.
      if (++this.interim > MAX_INTERIM) return new Error('too many interim responses');
      this.resetHead();
      return undefined;
    }
    // Anything but one plain `chunked` (gzip, chunked; identity; xchunked; two headers) would be
    // framed differently by the client, or lose a coding when re-framed: refused.
    if (encodings > 1 || (encodings === 1 && !chunked)) return new Error('unsupported Transfer-Encoding');
    this.keepAlive = http11 ? !connection.includes('close') : connection.includes('keep-alive');
    this.events.head(status, reason, fields, forward, length !== undefined);
    if (this.noBody || status === 204 || status === 304) this.state = State.Done;
    else if (chunked) {
      this.trailerBytes = 0;
      this.state = State.ChunkSize;
    } else if (length !== undefined) {
      this.left = Number(length);
      this.state = this.left === 0 ? State.Done : State.Length;
    } else {
      this.keepAlive = false;
      this.state = State.UntilClose;
    }
    return undefined;
  }

  /** Reports the end; bytes after it mean the backend is out of step, so the connection is not reused. */
  private finishMessage(leftover: boolean): undefined {
    this.events.end(this.keepAlive && !leftover);
    return undefined;
  }
}
