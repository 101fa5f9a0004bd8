/** What a parsed response reports, in order: one head, body pieces, one end. */
export interface ResponseEvents {
  head(status: number, statusText: string, rawHeaders: string[]): void;
  /** `last` is set when the piece completes a body of known length, so it can go out with the end. */
  body(chunk: Buffer, last: boolean): void;
  /** `reusable`: the connection may carry another request (keep-alive, and nothing left over). */
  end(reusable: boolean): void;
}

const MAX_HEAD_BYTES = 64 * 1024;
const MAX_CHUNK_LINE = 4096;
const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: (.*))?$/;
const DIGITS = /^\d+$/;
const HEX = /^[0-9a-fA-F]+$/;
const CRLF_CRLF = Buffer.from('\r\n\r\n');

const enum State {
  Head,
  Length,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  UntilClose,
  Done,
}

/**
 * An incremental HTTP/1.1 response parser for the upstream side of the proxy: the head becomes
 * raw header pairs, the body comes out as it arrives (chunked bodies decoded; the server side
 * re-frames them). Node's own parser is internal (`_http_common`, deprecated as API), and
 * node:http's client costs several times the rest of the proxy per request, hence this.
 * Strict where smuggling hides: bad status lines, conflicting Content-Length, bad chunk sizes.
 */
export class ResponseParser {
  private state = State.Done;
  private noBody = false;
  private keepAlive = true;
  private left = 0;
  private pending: Buffer | undefined;

  constructor(private readonly events: ResponseEvents) {}

  /** Expects the next response; `noBody` for an answer to HEAD, which has framing headers but no body. */
  start(noBody: boolean): void {
    this.state = State.Head;
    this.noBody = noBody;
    this.pending = undefined;
  }

  get idle(): boolean {
    return this.state === State.Done;
  }

  /** Whether any byte of the current response has arrived. */
  get started(): boolean {
    return this.state !== State.Head || this.pending !== undefined;
  }

  /** Feeds bytes from the socket; returns an error when they are not a valid response. */
  feed(data: Buffer): Error | undefined {
    let buf = this.pending ? Buffer.concat([this.pending, data]) : data;
    this.pending = undefined;
    let at = 0;
    while (at < buf.length) {
      switch (this.state) {
        case State.Head: {
          const end = buf.indexOf(CRLF_CRLF, at);
          if (end < 0) {
            if (buf.length - at > MAX_HEAD_BYTES) return new Error('response head too large');
            this.pending = buf.subarray(at);
            return undefined;
          }
          const err = this.parseHead(buf.toString('latin1', at, end));
          if (err) return err;
          at = end + 4;
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
          const eol = buf.indexOf('\r\n', at, 'latin1');
          if (eol < 0) {
            if (buf.length - at > MAX_CHUNK_LINE) return new Error('chunk line too long');
            this.pending = buf.subarray(at);
            return undefined;
          }
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
          } else {
            const semi = line.indexOf(';');
            const size = (semi < 0 ? line : line.slice(0, semi)).trimEnd();
            if (!HEX.test(size) || size.length > 12) return new Error('bad chunk size');
            this.left = parseInt(size, 16);
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
    if (this.state === State.UntilClose) {
      this.state = State.Done;
      this.events.end(false);
      return undefined;
    }
    if (this.state === State.Done) return undefined;
    return new Error(this.started ? 'connection closed mid-response' : 'connection closed before a response');
  }

  private parseHead(text: string): Error | undefined {
    const lines = text.split('\r\n');
    const m = STATUS_LINE.exec(lines[0]!);
    if (!m) return new Error('malformed status line');
    const status = Number(m[2]);
    const raw: string[] = [];
    let length: string | undefined;
    let chunked = false;
    let connection = '';
    for (let i = 1; i < lines.length; i++) {
      const line = lines[i]!;
      const colon = line.indexOf(':');
      // No name, or obsolete line folding (a line starting with whitespace): refused, as RFC 9112 allows.
      if (colon <= 0 || line.charCodeAt(0) === 32 || line.charCodeAt(0) === 9) return new Error('malformed header line');
      const name = line.slice(0, colon);
      const value = line.slice(colon + 1).trim();
      raw.push(name, value);
      if (name.length === 14 && name.toLowerCase() === 'content-length') {
        if (!DIGITS.test(value) || (length !== undefined && length !== value)) return new Error('bad Content-Length');
        length = value;
      } else if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') {
        chunked = value.toLowerCase().endsWith('chunked');
      } else if (name.length === 10 && name.toLowerCase() === 'connection') {
        connection += `${value.toLowerCase()},`;
      }
    }
    // Both framings at once is how responses get smuggled past one parser and not another.
    if (chunked && length !== undefined) return new Error('both Transfer-Encoding and Content-Length');
    if (status < 200) {
      // Interim answers (100 Continue, 103 Early Hints) are skipped; 101 would switch protocols mid-request.
      if (status === 101) return new Error('unexpected 101 Switching Protocols');
      return undefined;
    }
    this.keepAlive = m[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    this.events.head(status, m[3] ?? '', raw);
    if (this.noBody || status === 204 || status === 304) this.state = State.Done;
    else if (chunked) this.state = State.ChunkSize;
    else if (length !== undefined) {
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
