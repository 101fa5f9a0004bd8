import { type Server, type Socket, connect, createServer } from 'node:net';

/**
 * Test peers that speak raw bytes, so a test controls (and sees) every byte on the wire:
 * backends that answer with exactly what a case says, and a client that records what came back.
 */

export interface RawBackend {
  port: number;
  /** Every connection the proxy opened, with the request heads it carried, in order. */
  readonly connections: { socket: Socket; requests: string[] }[];
  close(): Promise<void>;
}

/**
 * A backend on 127.0.0.1 that calls `answer` for each request head it reads (requests without a
 * body; anything after a head's blank line starts the next head). `answer` writes what it likes.
 */
export async function startRawBackend(answer: (socket: Socket, head: string, index: number, conn: number) => void): Promise<RawBackend> {
  const connections: RawBackend['connections'] = [];
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    const entry = { socket, requests: [] as string[] };
    const conn = connections.push(entry) - 1;
    let buf = '';
    socket.on('error', () => {});
    socket.on('end', () => socket.end());
    socket.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        entry.requests.push(head);
        answer(socket, head, entry.requests.length - 1, conn);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    connections,
    close: () =>
      new Promise((r) => {
        for (const c of connections) c.socket.destroy();
        server.close(() => r());
      }),
  };
}

/** The request line of a head ("GET /x HTTP/1.1"). */
export const requestLine = (head: string) => head.slice(0, head.indexOf('\r\n'));

/** A header's value in a raw head, by lower-case name. */
export function headOf(head: string, lowerName: string): string | undefined {
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (line.slice(0, colon).toLowerCase() === lowerName) return line.slice(colon + 1).trim();
  }
  return undefined;
}

export interface RawClient {
  socket: Socket;
  /** Everything received so far, as latin1. */
  text(): string;
  /** Resolves once `check(received)` holds, or the connection closed (then `closed` is set). */
  until(check: (text: string) => boolean, ms?: number): Promise<string>;
  readonly closed: boolean;
  send(bytes: string): void;
}

/** A client connection that records what the proxy sends back. */
export async function rawClient(port: number, opts: { allowHalfOpen?: boolean } = {}): Promise<RawClient> {
  const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: opts.allowHalfOpen ?? false });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let received = '';
  let closed = false;
  const waiters = new Set<() => void>();
  const wake = () => {
    for (const w of [...waiters]) w();
  };
  socket.on('data', (c: Buffer) => {
    received += c.toString('latin1');
    wake();
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
    wake();
  });
  return {
    socket,
    text: () => received,
    get closed() {
      return closed;
    },
    send: (bytes) => void socket.write(bytes, 'latin1'),
    until: (check, ms = 20_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(test);
          reject(new Error(`no such answer in ${ms} ms; got ${JSON.stringify(received.slice(0, 400))}`));
        }, ms);
        const test = () => {
          if (!check(received) && !closed) return;
          clearTimeout(timer);
          waiters.delete(test);
          resolve(received);
        };
        waiters.add(test);
        test();
      }),
  };
}

export interface ParsedResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Splits bytes a client received into complete responses (Content-Length or chunked bodies; a
 * response without either runs to the end). `rest` is what follows the last complete one.
 */
export function parseResponses(text: string): { responses: ParsedResponse[]; rest: string } {
  const responses: ParsedResponse[] = [];
  let at = 0;
  while (at < text.length) {
    const end = text.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const lines = text.slice(at, end).split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(lines[0]!)?.[1] ?? Number.NaN);
    if (Number.isNaN(status)) break;
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    let p = end + 4;
    let body = '';
    if (headers['transfer-encoding'] === 'chunked') {
      let complete = false;
      for (;;) {
        const eol = text.indexOf('\r\n', p);
        if (eol < 0) break;
        const size = parseInt(text.slice(p, eol), 16);
        if (Number.isNaN(size)) break;
        if (size === 0) {
          if (text.startsWith('\r\n', eol + 2)) {
            p = eol + 4;
            complete = true;
          }
          break;
        }
        if (text.length < eol + 2 + size + 2) break;
        body += text.slice(eol + 2, eol + 2 + size);
        p = eol + 2 + size + 2;
      }
      if (!complete) break;
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (text.length < p + n) break;
      body = text.slice(p, p + n);
      p += n;
    } else if (status === 204 || status === 304 || status < 200) {
      // no body
    } else {
      break;
    }
    responses.push({ status, headers, body });
    at = p;
  }
  return { responses, rest: text.slice(at) };
}
