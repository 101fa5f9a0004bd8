import { type Server, type Socket, createServer } from 'node:net';

/** A request as a backend parsed it from the bytes the proxy sent. */
export interface ForwardedRequest {
  method: string;
  target: string;
  headers: [string, string][];
  body: string;
}

const REQUEST_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) ([\x21-\x7e]+) HTTP\/1\.1$/;
const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+): ([^\x00-\x08\x0a-\x1f\x7f]*)$/;
const CHUNK_SIZE = /^[0-9a-fA-F]{1,15}$/;

interface ConnState {
  buf: string;
  /** The request whose body is being read. */
  req?: ForwardedRequest;
  /** Body bytes still expected (Content-Length), or -1 while reading chunks. */
  left: number;
  /** Inside a chunk: its data bytes still expected. */
  chunkLeft: number;
}

/**
 * A raw-socket backend that records every byte it receives and parses it with a deliberately
 * unforgiving HTTP/1.1 parser: the proxy writes one canonical form, so anything else (a second
 * framing header, a stray byte between requests, a chunk that is not hex) is a violation, which
 * is how a smuggled or mis-framed request shows. Each complete request is answered 200.
 */
export class RecordingBackend {
  readonly requests: ForwardedRequest[] = [];
  readonly violations: string[] = [];
  bytes = 0;
  private readonly conns = new Map<Socket, ConnState>();
  private server: Server | undefined;

  async start(): Promise<number> {
    this.server = createServer((socket) => {
      const st: ConnState = { buf: '', left: 0, chunkLeft: 0 };
      this.conns.set(socket, st);
      socket.on('data', (c: Buffer) => {
        this.bytes += c.length;
        st.buf += c.toString('latin1');
        this.parse(socket, st);
      });
      socket.on('error', () => {});
      socket.on('close', () => this.conns.delete(socket));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return (this.server.address() as { port: number }).port;
  }

  /** Connections accepted and not yet closed. */
  get connections(): number {
    return this.conns.size;
  }

  /** No connection holds part of a request: everything sent was whole requests. */
  get quiet(): boolean {
    for (const st of this.conns.values()) if (st.req || st.buf) return false;
    return true;
  }

  /** Requests and violations since the last take. */
  take(): { requests: ForwardedRequest[]; violations: string[] } {
    return { requests: this.requests.splice(0), violations: this.violations.splice(0) };
  }

  /** Drops connections holding a partial request (the proxy abandoned it) so they cannot be reused. */
  dropPartial(): void {
    for (const [socket, st] of this.conns) if (st.req || st.buf) socket.destroy();
  }

  close(): Promise<void> {
    for (const s of this.conns.keys()) s.destroy();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  private violate(socket: Socket, st: ConnState, what: string): void {
    this.violations.push(`${what}: ${JSON.stringify(st.buf.slice(0, 200))}`);
    st.buf = '';
    st.req = undefined;
    socket.destroy();
  }

  private parse(socket: Socket, st: ConnState): void {
    for (;;) {
      if (!st.req) {
        const end = st.buf.indexOf('\r\n\r\n');
        if (end < 0) {
          if (st.buf.length > 0 && !/^[A-Z]/.test(st.buf)) return this.violate(socket, st, 'bytes that do not start a request');
          return;
        }
        const lines = st.buf.slice(0, end).split('\r\n');
        const line = REQUEST_LINE.exec(lines[0]!);
        if (!line) return this.violate(socket, st, 'malformed request line');
        const headers: [string, string][] = [];
        for (const l of lines.slice(1)) {
          const h = HEADER_LINE.exec(l);
          if (!h) return this.violate(socket, st, `malformed header line ${JSON.stringify(l)}`);
          headers.push([h[1]!, h[2]!]);
        }
        const cl = headers.filter(([n]) => n.toLowerCase() === 'content-length');
        const te = headers.filter(([n]) => n.toLowerCase() === 'transfer-encoding');
        if (cl.length > 1 || te.length > 1 || (cl.length && te.length)) return this.violate(socket, st, 'ambiguous framing');
        st.buf = st.buf.slice(end + 4);
        st.req = { method: line[1]!, target: line[2]!, headers, body: '' };
        if (te.length) {
          if (!/(^|, )chunked$/.test(te[0]![1])) return this.violate(socket, st, 'Transfer-Encoding not ending in chunked');
          st.left = -1;
          st.chunkLeft = 0;
        } else {
          if (cl.length && !/^\d+$/.test(cl[0]![1])) return this.violate(socket, st, 'invalid Content-Length');
          st.left = cl.length ? Number(cl[0]![1]) : 0;
        }
      }
      const req = st.req;
      if (st.left >= 0) {
        const n = Math.min(st.left, st.buf.length);
        req.body += st.buf.slice(0, n);
        st.buf = st.buf.slice(n);
        st.left -= n;
        if (st.left > 0) return;
      } else {
        // Chunks: exactly `hex CRLF data CRLF`, ending `0 CRLF CRLF` (the proxy sends no trailers).
        for (;;) {
          if (st.chunkLeft > 0) {
            const n = Math.min(st.chunkLeft, st.buf.length);
            req.body += st.buf.slice(0, n);
            st.buf = st.buf.slice(n);
            st.chunkLeft -= n;
            if (st.chunkLeft > 0) return;
            st.chunkLeft = -2;
          }
          if (st.chunkLeft === -2) {
            if (st.buf.length < 2) return;
            if (!st.buf.startsWith('\r\n')) return this.violate(socket, st, 'chunk data not followed by CRLF');
            st.buf = st.buf.slice(2);
            st.chunkLeft = 0;
          }
          const eol = st.buf.indexOf('\r\n');
          if (eol < 0) return;
          const size = st.buf.slice(0, eol);
          if (!CHUNK_SIZE.test(size)) return this.violate(socket, st, `invalid chunk size ${JSON.stringify(size)}`);
          const n = parseInt(size, 16);
          if (n === 0) {
            if (st.buf.length < eol + 4) return;
            if (st.buf.slice(eol + 2, eol + 4) !== '\r\n') return this.violate(socket, st, 'trailers after the last chunk');
            st.buf = st.buf.slice(eol + 4);
            break;
          }
          st.buf = st.buf.slice(eol + 2);
          st.chunkLeft = n;
        }
      }
      this.requests.push(req);
      st.req = undefined;
      socket.write(req.method === 'HEAD' ? 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n' : 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    }
  }
}
