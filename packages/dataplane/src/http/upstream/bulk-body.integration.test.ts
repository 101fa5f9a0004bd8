import { type IncomingMessage, request } from 'node:http';
import { createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane } from '../../dataplane';
import { applyOnFreePort, get, pseudoRandomBytes, sha256 as digest, snapshotFor, startBackend } from '../../test-support';

/**
 * Large bodies are read into bulk buffers that the client's write may keep without a copy
 * (`UpstreamConnection`). The class of defect this guards: a buffer reused for the next read
 * while a write still points into it, which sends the client bytes of another read (or of
 * another response) in place of its own. Every body here is pseudo-random and checked whole,
 * read by clients slow enough that the proxy's writes are left waiting in their sockets, while
 * small answers go through the shared read buffer on other connections at the same time.
 */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const SIZE = 8 * 1024 * 1024 + 12_344;

const bodyFor = (seed: number) => pseudoRandomBytes(seed, SIZE);

/** A client that reads nothing for a while, then reads in short bursts with pauses between. */
function slowGet(port: number, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: body ? 'POST' : 'GET', headers, agent: false }, (res: IncomingMessage) => {
      const parts: Buffer[] = [];
      res.pause();
      let reads = 0;
      res.on('data', (c: Buffer) => {
        parts.push(c);
        if (++reads % 8 === 0) {
          res.pause();
          setTimeout(() => res.resume(), 5);
        }
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts) }));
      res.on('error', reject);
      // The proxy's writes fill the client's socket buffers before the first read.
      setTimeout(() => res.resume(), 300);
    });
    req.on('error', reject);
    req.setTimeout(60_000, () => req.destroy(new Error('no answer in 60 s')));
    req.end(body);
  });
}

describe('large bodies read without a copy', () => {
  it('reach slow clients intact, with Content-Length, chunked and close-delimited framing, on both server paths', async () => {
    const bodies = [1, 2, 3, 4].map(bodyFor);
    const backend = await startBackend('big', (req, res) => {
      req.resume();
      req.on('end', () => {
        const [, kind, n] = /^\/(len|chunked)\/(\d)/.exec(req.url ?? '') ?? [];
        if (!kind) return void res.end('small');
        const body = bodies[Number(n)]!;
        if (kind === 'len') res.writeHead(200, { 'content-length': body.length });
        else res.writeHead(200);
        // Written in uneven pieces, so reads end at places that do not line up with 64 KiB.
        for (let at = 0; at < body.length; at += 50_001) res.write(body.subarray(at, at + 50_001));
        res.end();
      });
    });
    cleanups.push(() => backend.close());
    // A backend that answers without framing: the body ends when it closes the connection.
    const raw = createServer((socket) => {
      socket.on('error', () => {});
      socket.once('data', () => {
        socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n');
        socket.end(bodies[0]!);
      });
    });
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => raw.close(r)));
    const dp = new Dataplane();
    cleanups.push(() => dp.stop());
    const port = await applyOnFreePort(dp, (p) => snapshotFor(p, [{ name: 'big', port: backend.port }]));
    // Its own data plane: a snapshot carries every pool, and this one would replace the first.
    const dpRaw = new Dataplane();
    cleanups.push(() => dpRaw.stop());
    const rawPort = await applyOnFreePort(dpRaw, (p) => snapshotFor(p, [{ name: 'raw', port: (raw.address() as { port: number }).port }]));

    let smallDone = false;
    const small = (async () => {
      let n = 0;
      while (!smallDone) {
        expect((await get(port, '/small')).body).toBe('small');
        n++;
      }
      return n;
    })();
    // Awaited below; a failure before that must not surface as an unhandled rejection.
    small.catch(() => {});
    const cases = [
      ...[0, 1, 2, 3].map((n) => ({ got: slowGet(port, `/len/${n}`), want: n })),
      ...[1, 2].map((n) => ({ got: slowGet(port, `/chunked/${n}`), want: n })),
      // A request with a body is served by node:http's side of the listener.
      { got: slowGet(port, '/len/3', { 'content-type': 'text/plain' }, 'x'), want: 3 },
      { got: slowGet(rawPort, '/'), want: 0 },
    ];
    for (const c of cases) {
      const { status, body } = await c.got;
      expect(status).toBe(200);
      expect(body.length).toBe(SIZE);
      expect(digest(body)).toBe(digest(bodies[c.want]!));
    }
    smallDone = true;
    expect(await small).toBeGreaterThan(0);
  }, 120_000);
});
