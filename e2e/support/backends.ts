import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';

/** A real HTTP server on 127.0.0.1, on a port the kernel chose. */
export interface Backend {
  server: Server;
  port: number;
  /** `127.0.0.1:<port>`, as the dashboard names a backend. */
  addr: string;
  /** Stops listening and drops its open connections (a dead backend). */
  stop: () => Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** A backend that answers every request with `answer` (a name such as "one" or "v2"), or runs `handler`. */
export async function startBackend(answer: string | Handler): Promise<Backend> {
  const handler: Handler =
    typeof answer === 'string'
      ? (req, res) => {
          req.resume();
          res.end(answer);
        }
      : answer;
  const server = createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const stop = () =>
    new Promise<void>((resolve) => {
      if (!server.listening) return resolve();
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return { server, port, addr: `127.0.0.1:${port}`, stop };
}
