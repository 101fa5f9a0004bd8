import { connect, createServer } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane } from '../dataplane';
import { applyOnFreePort, pseudoRandomBytes, sha256, snapshotFor } from '../test-support';

/**
 * A TCP pool's client-to-backend bytes are read into one buffer every client connection shares
 * (`readInto`), each read copied before it is written. The class of defect this guards: a write
 * the backend has not taken yet still pointing into that buffer, so a later read (of this
 * connection or another) changes bytes already queued for a backend. Backends here read slowly,
 * so the proxy's writes wait, while several clients upload at once (16 MiB each: more than the
 * kernel's socket buffers hold, so writes are left partly done). Each client half-closes after
 * its upload and reads the answer after: a TCP pool carries a half-close through, as L4 proxies do.
 */

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const SIZE = 16 * 1024 * 1024 + 1_234;

/** Reads each connection slowly (bursts between pauses) and answers its SHA-256 at its end. */
async function startHashingBackend(): Promise<{ port: number; close(): Promise<void> }> {
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {});
    const parts: Buffer[] = [];
    let reads = 0;
    socket.pause();
    socket.on('data', (c: Buffer) => {
      parts.push(c);
      if (++reads % 4 === 0) {
        socket.pause();
        setTimeout(() => socket.resume(), 5);
      }
    });
    socket.on('end', () => socket.end(`${sha256(Buffer.concat(parts))}\n`));
    setTimeout(() => socket.resume(), 200);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as { port: number }).port,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Sends `body` in uneven writes, half-closes, and resolves with what the backend answered. */
function upload(port: number, body: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () => {
      for (let at = 0; at < body.length; at += 50_003) s.write(body.subarray(at, at + 50_003));
      s.end();
    });
    let got = '';
    s.on('data', (d) => (got += d.toString()));
    s.on('end', () => resolve(got.trim()));
    s.on('error', reject);
    s.setTimeout(60_000, () => s.destroy(new Error('no answer in 60 s')));
  });
}

describe('TCP pool uploads', () => {
  it('reach a slow backend intact while other clients upload through the same read buffer', async () => {
    const backend = await startHashingBackend();
    cleanups.push(() => backend.close());
    const dp = new Dataplane();
    cleanups.push(() => dp.stop());
    const port = await applyOnFreePort(dp, (p) => snapshotFor(p, [{ name: 'b', port: backend.port }], { protocol: 'tcp', healthCheck: { enabled: false } }));
    const bodies = [11, 12, 13, 14].map((seed) => pseudoRandomBytes(seed, SIZE));
    const answers = await Promise.all(bodies.map((b) => upload(port, b)));
    expect(answers).toEqual(bodies.map((b) => sha256(b)));
  }, 120_000);
});
