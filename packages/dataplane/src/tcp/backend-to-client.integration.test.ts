import { type Socket, connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane } from '../dataplane';
import { applyOnFreePort, pseudoRandomBytes, sha256, snapshotFor } from '../test-support';

/**
 * A TCP pool's backend-to-client bytes are read into bulk buffers and written as they are
 * (`BackendToClient`). The class of defect this guards: a buffer read into again while a client
 * write still points into it, which hands a client bytes of a later read or of another
 * connection. Every stream is pseudo-random and checked whole, read by clients slow enough to
 * leave the proxy's writes waiting, while quick exchanges run on other connections.
 */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const SIZE = 6 * 1024 * 1024 + 4_321;
const streams = [1, 2, 3, 4].map((seed) => pseudoRandomBytes(seed, SIZE));

/** Answers "big N\n" with stream N (in uneven writes, then closes) and anything else with an echo. */
async function startStreamBackend(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer((socket) => {
    socket.on('error', () => {});
    let line = '';
    socket.on('data', (d) => {
      line += d.toString('latin1');
      const big = /^big (\d)\n/.exec(line);
      if (big) {
        const body = streams[Number(big[1])]!;
        for (let at = 0; at < body.length; at += 70_001) socket.write(body.subarray(at, at + 70_001));
        socket.end();
      } else if (line.endsWith('\n')) {
        socket.write(line);
        line = '';
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
      }),
  };
}

/** Reads the whole stream slowly: nothing for a while, then short bursts with pauses, and slower still at the end. */
function slowRead(port: number, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    const s: Socket = connect(port, '127.0.0.1', () => s.write(`big ${n}\n`));
    s.pause();
    let reads = 0;
    let got = 0;
    s.on('data', (c: Buffer) => {
      parts.push(c);
      got += c.length;
      // Near the end, a pause after every read: the backend's end of stream then reaches the
      // proxy while its writes to this client still wait (and must still arrive).
      if (++reads % 8 === 0 || got > SIZE - 1024 * 1024) {
        s.pause();
        setTimeout(() => s.resume(), got > SIZE - 1024 * 1024 ? 20 : 5);
      }
    });
    s.on('end', () => resolve(Buffer.concat(parts)));
    s.on('error', reject);
    s.setTimeout(60_000, () => s.destroy(new Error('no end in 60 s')));
    setTimeout(() => s.resume(), 300);
  });
}

function echo(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => s.write(`${text}\n`));
    let got = '';
    s.on('data', (d) => {
      got += d.toString();
      if (got.endsWith('\n')) {
        s.destroy();
        resolve(got.trim());
      }
    });
    s.on('error', reject);
  });
}

describe('TCP pool streams', () => {
  // Also the backend's end of stream while the proxy still holds bytes for a client that is behind:
  // the client must get them all before its end (they were dropped when the backend's close
  // destroyed the client's socket).
  it('reach slow clients intact while other connections exchange small messages, and the backend end of stream ends the client', async () => {
    const backend = await startStreamBackend();
    cleanups.push(() => backend.close());
    const dp = new Dataplane();
    cleanups.push(() => dp.stop());
    const port = await applyOnFreePort(dp, (p) => snapshotFor(p, [{ name: 'b', port: backend.port }], { protocol: 'tcp', healthCheck: { enabled: false } }));

    let smallDone = false;
    const small = (async () => {
      let n = 0;
      while (!smallDone) {
        expect(await echo(port, `ping ${n}`)).toBe(`ping ${n}`);
        n++;
      }
      return n;
    })();
    small.catch(() => {});
    const reads = [0, 1, 2, 3, 1].map((n) => ({ got: slowRead(port, n), want: n }));
    for (const r of reads) {
      const body = await r.got;
      expect(body.length).toBe(SIZE);
      expect(sha256(body)).toBe(sha256(streams[r.want]!));
    }
    smallDone = true;
    expect(await small).toBeGreaterThan(0);
  }, 120_000);
});
