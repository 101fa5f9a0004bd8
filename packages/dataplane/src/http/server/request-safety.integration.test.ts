import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane } from '../../dataplane';
import { eventually, freePort, snapshotFor, startBackend } from '../../test-support';
import { rawExchange } from '../conformance/raw-exchange';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function proxyTo(backendPort: number, pool = {}) {
  const port = await freePort();
  const dp = new Dataplane();
  cleanups.push(() => dp.stop());
  expect((await dp.applySnapshot(snapshotFor(port, [{ name: 'b', port: backendPort }], { retries: { attempts: 0 }, ...pool }))).ok).toBe(true);
  return port;
}

async function okBackend() {
  const b = await startBackend('ok');
  cleanups.push(() => b.close());
  return b;
}

const send = (port: number, text: string, halfClose = false) => rawExchange(port, [Buffer.from(text, 'latin1')], { halfClose, deadlineMs: 15_000 });

describe('request heads', () => {
  it('answers 408 to a head trickled in past the head deadline, though it is never silent for long', async () => {
    const port = await proxyTo((await okBackend()).port, { http: { headTimeoutMs: 400 }, timeouts: { idleMs: 60_000 } });
    const socket = connect({ port, host: '127.0.0.1' });
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('error', () => {});
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    // One byte every 20 ms, for as long as the connection stays open (at most ~10 s of bytes).
    const head = `GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(500)}\r\n\r\n`;
    let i = 0;
    const trickle = setInterval(() => {
      if (i < head.length && !socket.destroyed) socket.write(head[i++]!);
    }, 20);
    await closed;
    clearInterval(trickle);
    expect(text).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(i).toBeLessThan(head.length);
  });

  it('holds heads to the same deadline on a connection node:http has taken over', async () => {
    const port = await proxyTo((await okBackend()).port, { http: { headTimeoutMs: 400 }, timeouts: { idleMs: 60_000 } });
    const socket = connect({ port, host: '127.0.0.1' });
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('error', () => {});
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    // An upload hands the connection to node:http; the next head then trickles.
    socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx');
    const head = `GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ${'a'.repeat(500)}\r\n\r\n`;
    let i = 0;
    const trickle = setInterval(() => {
      if (text.startsWith('HTTP/1.1 200 ') && i < head.length && !socket.destroyed) socket.write(head[i++]!);
    }, 20);
    await closed;
    clearInterval(trickle);
    expect(text).toMatch(/^HTTP\/1\.1 200 [^]*HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(i).toBeLessThan(head.length);
  });

  it('scans a head trickled byte by byte once, not once per read', async () => {
    const port = await proxyTo((await okBackend()).port);
    const head = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(12 * 1024)}\r\n\r\n`;
    // Counts the bytes the data plane copies to join reads (in this process: the proxy's reads).
    const concat = Buffer.concat;
    let copied = 0;
    Buffer.concat = ((list: readonly Uint8Array[], total?: number) => {
      const out = concat(list, total);
      copied += out.length;
      return out;
    }) as typeof Buffer.concat;
    try {
      const socket = connect({ port, host: '127.0.0.1', noDelay: true });
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
      await new Promise<void>((r) => socket.once('connect', () => r()));
      for (let i = 0; i < head.length; i += 16) {
        socket.write(head.slice(i, i + 16));
        // Lets each piece be read on its own (mostly: the count below allows for merged reads).
        await new Promise((r) => setImmediate(r));
      }
      // Bounded by the test's timeout: a hang is the failure.
      while (!/^HTTP\/1\.1 200 [^]*\r\n\r\n[^]*ok/.test(text)) await new Promise((r) => setTimeout(r, 5));
      socket.destroy();
    } finally {
      Buffer.concat = concat;
    }
    // Joined once when complete; re-joining per read would copy hundreds of times the head.
    expect(copied).toBeLessThan(4 * head.length);
  });

  it('refuses heads over the pool limits with 431, on the fast path and on node:http', async () => {
    const port = await proxyTo((await okBackend()).port, { http: { maxHeaders: 10, maxHeadBytes: 2048 } });
    const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-${i}: ${i}\r\n`).join('');
    const big = `X-Big: ${'a'.repeat(3000)}\r\n`;
    for (const [name, text] of [
      ['GET, too many fields', `GET / HTTP/1.1\r\nHost: x\r\n${fields(10)}\r\n`],
      ['GET, too large', `GET / HTTP/1.1\r\nHost: x\r\n${big}\r\n`],
      ['POST, too many fields', `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n${fields(10)}\r\nx`],
      ['POST, too large', `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n${big}\r\nx`],
      // node:http's side: the connection was handed over by an upload first.
      ['after an upload, too many fields', `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nxGET / HTTP/1.1\r\nHost: x\r\n${fields(10)}\r\n`],
      ['after an upload, too large', `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nxGET / HTTP/1.1\r\nHost: x\r\n${big}\r\n`],
    ] as const) {
      const out = await send(port, text);
      expect(out.statuses.at(-1), name).toBe(431);
      expect(out.closed, name).toBe(true);
    }
    // Within the limits: served.
    expect((await send(port, `GET / HTTP/1.1\r\nHost: x\r\n${fields(8)}\r\n`, true)).statuses).toEqual([200]);
  });

  it('answers a bare-LF request 400 and closes at once, without waiting for a CRLF that never comes', async () => {
    const port = await proxyTo((await okBackend()).port, { timeouts: { idleMs: 60_000 } });
    const out = await send(port, 'GET / HTTP/1.1\nHost: x\n\n');
    expect(out.statuses).toEqual([400]);
    expect(out.closed).toBe(true);
  });
});

describe('error pages', () => {
  it('escape the reflected X-Request-Id and name the backend only when the pool asks', async () => {
    const dead = await freePort();
    const port = await proxyTo(dead);
    const id = '<script>alert(1)</script>';
    const out = await send(port, `GET / HTTP/1.1\r\nHost: x\r\nX-Request-Id: ${id}\r\nConnection: close\r\n\r\n`);
    expect(out.statuses).toEqual([502]);
    const page = out.text.slice(out.text.indexOf('\r\n\r\n'));
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(out.text).not.toContain(`127.0.0.1:${dead}`);
    expect(out.text).toMatch(/\r\nX-Fulcrum-Error: connect failed: ECONNREFUSED\r\n/);

    const detailed = await proxyTo(dead, { http: { exposeErrorDetails: true } });
    const shown = await send(detailed, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(shown.text).toContain(`\r\nX-Fulcrum-Error: connect failed: ECONNREFUSED (127.0.0.1:${dead})\r\n`);
    expect(shown.text.slice(shown.text.indexOf('\r\n\r\n'))).not.toContain(`127.0.0.1:${dead}`);
  });
});

describe('pipelining', () => {
  it('serves no further pipelined request while the client leaves its answers unread, then all of them once it reads', async () => {
    // 4 KiB answers, head and body in one read from the backend and one write to the client: the
    // case where no backpressure within an answer holds the next one back.
    const body = 'a'.repeat(4 * 1024);
    const backend = await startBackend('big', (_req, res) => res.end(body));
    cleanups.push(() => backend.close());
    const port = await proxyTo(backend.port);
    const socket = connect({ port, host: '127.0.0.1' });
    cleanups.push(async () => socket.destroy());
    socket.on('error', () => {});
    socket.pause();
    // 20,000 requests in one go: 80 MB of answers, far past what the kernel's buffers hold.
    const count = 20_000;
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(count));
    // The proxy stops once the client's socket holds its high-water mark: the backend's count settles well short.
    let seen = -1;
    let still = 0;
    await eventually(() => {
      still = backend.hits === seen && backend.hits > 0 ? still + 1 : 0;
      seen = backend.hits;
      return still >= 6;
    }, 20_000);
    expect(backend.hits).toBeLessThan(count / 2);
    // Reading again, every answer arrives whole and in order.
    let bytes = 0;
    let answers = 0;
    const head = Buffer.from('HTTP/1.1 200 ');
    socket.on('data', (c: Buffer) => {
      bytes += c.length;
      for (let i = c.indexOf(head); i >= 0; i = c.indexOf(head, i + 1)) answers++;
    });
    socket.resume();
    await eventually(() => backend.hits === count && answers === count, 60_000);
    expect(bytes).toBeGreaterThan(count * body.length);
  });
});
