import { createServer } from 'node:net';
import { connect } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { MAX_HELLO_RECORD, readClientHello } from './client-hello';

/** The first bytes a real Node/OpenSSL client sends, captured on a plain TCP server. */
async function captureHello(servername: string | undefined): Promise<Buffer> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const got = new Promise<Buffer>((resolve) => server.once('connection', (s) => s.once('data', (c: Buffer) => (resolve(c), s.destroy()))));
  const port = (server.address() as { port: number }).port;
  const client = connect({ host: '127.0.0.1', port, servername, ALPNProtocols: ['http/1.1'] });
  client.on('error', () => {});
  const hello = await got;
  client.destroy();
  server.close();
  return hello;
}

describe('readClientHello', () => {
  it('reads the name from a real ClientHello, and none when the client sends none', async () => {
    expect(readClientHello(await captureHello('app.example.com'))).toEqual({ done: true, servername: 'app.example.com' });
    expect(readClientHello(await captureHello(undefined))).toEqual({ done: true, servername: undefined });
  });

  it('waits for the whole first record, then reads it; never throws on any prefix or any changed byte', async () => {
    const hello = await captureHello('api.example.com');
    for (let n = 0; n < hello.length; n++) {
      const r = readClientHello(hello.subarray(0, n));
      // Until the record is complete there is nothing to decide (the header says how much to wait for).
      if (n >= 5) expect(r.done).toBe(false);
    }
    // Every single-byte change: an answer (a name, or none), never an exception or a name with odd characters.
    for (let i = 0; i < hello.length; i++) {
      for (const v of [0, 0xff, hello[i]! ^ 0x01]) {
        const copy = Buffer.from(hello);
        copy[i] = v;
        const r = readClientHello(copy);
        if (r.done && r.servername !== undefined) expect(r.servername).toMatch(/^[A-Za-z0-9._-]{1,253}$/);
      }
    }
  });

  it('says "no name" for what is not a TLS handshake, and for a record over the TLS limit', () => {
    expect(readClientHello(Buffer.from('GET / HTTP/1.1\r\n'))).toEqual({ done: true, servername: undefined });
    const big = Buffer.from([22, 3, 1, 0xff, 0xff]);
    expect(readClientHello(big)).toEqual({ done: true, servername: undefined });
    expect(MAX_HELLO_RECORD).toBe(16_389);
  });
});
