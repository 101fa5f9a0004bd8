import { type Server, type Socket, connect, createServer } from 'node:net';
import { afterEach } from 'vitest';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

/** A server on a free port and a client connected to it; resolves with both ends, closed after the test. */
export async function socketPair(): Promise<{ accepted: Socket; client: Socket }> {
  let server!: Server;
  const accepted = new Promise<Socket>((resolve) => {
    server = createServer({ allowHalfOpen: true }, resolve);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const client = connect({ port: (server.address() as { port: number }).port, host: '127.0.0.1' });
  const a = await accepted;
  cleanups.push(() => {
    client.destroy();
    a.destroy();
    server.close();
  });
  return { accepted: a, client };
}

/** Resolves once `cond()` holds, checked on every event-loop turn; rejects after 20 s. */
export function untilTurn(cond: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 20_000;
    const check = () => {
      if (cond()) resolve();
      else if (Date.now() > deadline) reject(new Error('condition not met in 20 s'));
      else setImmediate(check);
    };
    check();
  });
}
