import { type Server, createServer } from 'node:http';
import { type Socket, connect } from 'node:net';

export interface RawOutcome {
  /** Everything the server sent back. */
  text: string;
  /** The server closed the connection before the deadline. */
  closed: boolean;
  /** Status codes of the answers, in order. */
  statuses: number[];
}

/**
 * Sends `pieces` on one connection, each as its own write, then (when `halfClose`) ends the
 * sending side, and waits for the server to close. The deadline only bounds a hang.
 */
export function rawExchange(port: number, pieces: Buffer[], opts: { halfClose: boolean; deadlineMs: number }): Promise<RawOutcome> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', noDelay: true });
    let text = '';
    let done = false;
    const finish = (closed: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const statuses = [...text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)].map((m) => Number(m[1]));
      resolve({ text, closed, statuses });
    };
    const timer = setTimeout(() => finish(false), opts.deadlineMs);
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => finish(true));
    socket.on('connect', async () => {
      for (const p of pieces) {
        if (socket.destroyed) return;
        socket.write(p);
        await new Promise((r) => setImmediate(r));
      }
      if (opts.halfClose && !socket.destroyed) socket.end();
    });
  });
}

/** A request as llhttp (node:http's parser) read it. */
export interface ReferenceRequest {
  method: string;
  url: string;
  body: string;
}

/**
 * node:http with its default (strict) llhttp settings, fed the same bytes as the proxy, as the
 * reference for where the two should agree. It records each request it parsed in full and the
 * first parse error.
 */
export class LlhttpReference {
  private server: Server | undefined;
  private requests: ReferenceRequest[] = [];
  private error: string | undefined;
  /**
   * Every connection it accepted and has not closed: one left waiting (a body cut short by the
   * client's half-close, an upgrade) is not among those `closeAllConnections` closes, and would
   * keep `close` from ever finishing.
   */
  private readonly sockets = new Set<Socket>();
  port = 0;

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('latin1');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        this.requests.push({ method: req.method ?? '', url: req.url ?? '', body });
        res.end('ok');
      });
      req.on('error', () => {});
    });
    (this.server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      this.error ??= err.code ?? err.message;
      socket.destroy();
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  async parse(pieces: Buffer[]): Promise<{ requests: ReferenceRequest[]; error: string | undefined }> {
    this.requests = [];
    this.error = undefined;
    await rawExchange(this.port, pieces, { halfClose: true, deadlineMs: 5_000 });
    return { requests: this.requests, error: this.error };
  }

  close(): Promise<void> {
    this.server?.closeAllConnections();
    for (const s of this.sockets) s.destroy();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
