import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ClientHttp2Session, type IncomingHttpHeaders, type OutgoingHttpHeaders, connect as h2connect, constants } from 'node:http2';
import { request as httpsRequest } from 'node:https';
import { connect as netConnect } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import { ZAccessRecord } from '@fulcrum/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { pkiForThisFile } from '../../test-pki';
import { AccessLogWriter } from '../../access-log/access-log-writer';
import { Dataplane } from '../../dataplane';
import { type TestBackend, applyOnFreePort, eventually, httpsSnapshot, startBackend } from '../../test-support';
import { PREMATURE_END_BURST } from './h2-listener';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const tls = pkiForThisFile();

interface Seen {
  method: string;
  url: string;
  httpVersion: string;
  headers: IncomingHttpHeaders;
  body: string;
  complete: boolean;
}

/** A backend that records every request it got (with its body, and whether the body ended) and answers with it as JSON. */
async function recordingBackend(answer?: (req: IncomingMessage, res: ServerResponse) => boolean): Promise<TestBackend & { seen: Seen[] }> {
  const seen: Seen[] = [];
  const b = await startBackend('web', (req, res) => {
    const s: Seen = { method: req.method!, url: req.url!, httpVersion: req.httpVersion, headers: req.headers, body: '', complete: false };
    seen.push(s);
    req.setEncoding('latin1');
    req.on('data', (c: string) => (s.body += c));
    req.on('end', () => {
      s.complete = true;
      if (answer?.(req, res)) return;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ method: s.method, url: s.url, body: s.body }));
    });
  });
  cleanup.push(() => b.close());
  return Object.assign(b, { seen });
}

const snapshot = (port: number, backendPort: number, http2: boolean, http: object = {}) => httpsSnapshot(port, backendPort, [{ id: 'app', version: 1, leaf: tls.leaf }], { tls: { http2 }, http });

async function start(opts: { http2?: boolean; http?: object; accessLog?: AccessLogWriter; answer?: (req: IncomingMessage, res: ServerResponse) => boolean } = {}) {
  const backend = await recordingBackend(opts.answer);
  const dp = new Dataplane({ runHealthChecks: false, accessLog: opts.accessLog });
  cleanup.push(() => dp.stop());
  const port = await applyOnFreePort(dp, (p) => snapshot(p, backend.port, opts.http2 ?? true, opts.http));
  return { dp, port, backend };
}

function session(port: number): ClientHttp2Session {
  const s = h2connect(`https://127.0.0.1:${port}`, { ca: tls.pki.ca, servername: 'app.example.com' });
  s.on('error', () => {});
  cleanup.push(() => void s.destroy());
  return s;
}

interface H2Answer {
  status?: number;
  headers?: IncomingHttpHeaders;
  body: string;
  /** The stream's RST_STREAM code (0 when it closed cleanly). */
  rstCode: number;
}

/** One request on a session: what came back, or how the stream was cut. */
function h2request(s: ClientHttp2Session, headers: OutgoingHttpHeaders, body?: string | Buffer): Promise<H2Answer> {
  return new Promise((resolve) => {
    const req = s.request({ ':authority': 'app.example.com', ...headers }, { endStream: body === undefined });
    const out: H2Answer = { body: '', rstCode: 0 };
    req.on('response', (h) => {
      out.status = Number(h[':status']);
      out.headers = h;
    });
    req.setEncoding('latin1');
    req.on('data', (c: string) => (out.body += c));
    req.on('error', () => {});
    req.on('close', () => resolve({ ...out, rstCode: req.rstCode ?? 0 }));
    if (body !== undefined) req.end(body);
  });
}

describe('HTTP/2 on an https listener', () => {
  it('offers h2 by ALPN only when the listener asks for it, and keeps serving HTTP/1.1 beside it', async () => {
    const alpn = (port: number) =>
      new Promise<string | false | null>((resolve, reject) => {
        const s: TLSSocket = tlsConnect({ host: '127.0.0.1', port, ca: tls.pki.ca, servername: 'app.example.com', ALPNProtocols: ['h2', 'http/1.1'] }, () => {
          resolve(s.alpnProtocol);
          s.end();
        });
        s.on('error', reject);
      });
    const on = await start({ http2: true });
    const off = await start({ http2: false });
    expect(await alpn(on.port)).toBe('h2');
    expect(await alpn(off.port)).toBe('http/1.1');
    // An HTTP/1.1 client on the h2 listener still gets HTTP/1.1.
    const h1 = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: on.port, path: '/one', servername: 'app.example.com', headers: { host: 'app.example.com' }, ca: tls.pki.ca }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(h1.status).toBe(200);
    expect(JSON.parse(h1.body).url).toBe('/one');
  });

  it('proxies streams to the HTTP/1.1 backend with Host from :authority, the forwarding headers, and bodies framed by the proxy', async () => {
    const { port, backend, dp } = await start();
    const s = session(port);
    const get = await h2request(s, { ':path': '/hello?x=1', cookie: ['a=1', 'b=2'], 'x-forwarded-for': '6.6.6.6' });
    expect(get.status).toBe(200);
    expect(JSON.parse(get.body)).toMatchObject({ method: 'GET', url: '/hello?x=1' });
    const sent = await h2request(s, { ':method': 'POST', ':path': '/upload', 'content-length': '5' }, 'hello');
    expect(JSON.parse(sent.body)).toMatchObject({ method: 'POST', body: 'hello' });
    // No content-length: the DATA frames frame it, and it goes upstream chunked.
    const streamed = await h2request(s, { ':method': 'POST', ':path': '/stream' }, Buffer.alloc(100_000, 'z'));
    expect(JSON.parse(streamed.body).body).toHaveLength(100_000);
    // A client that waits for 100-continue before its body gets it.
    const waiting = await new Promise<string>((resolve) => {
      const req = s.request({ ':authority': 'app.example.com', ':method': 'POST', ':path': '/expect', 'content-length': '2', expect: '100-continue' }, { endStream: false });
      let body = '';
      req.on('continue', () => req.end('ok'));
      req.setEncoding('latin1');
      req.on('data', (c: string) => (body += c));
      req.on('close', () => resolve(body));
    });
    expect(JSON.parse(waiting)).toMatchObject({ method: 'POST', body: 'ok' });
    // Several streams at once on one connection.
    const many = await Promise.all(Array.from({ length: 20 }, (_, i) => h2request(s, { ':path': `/p${i}` })));
    expect(many.map((a) => a.status)).toEqual(Array(20).fill(200));

    const [g, p, c] = backend.seen;
    expect(g).toMatchObject({ httpVersion: '1.1', url: '/hello?x=1' });
    expect(g!.headers).toMatchObject({ host: 'app.example.com', cookie: 'a=1; b=2', 'x-forwarded-for': '127.0.0.1', 'x-real-ip': '127.0.0.1', 'x-forwarded-proto': 'https' });
    expect(g!.headers['transfer-encoding']).toBeUndefined();
    expect(p!.headers['content-length']).toBe('5');
    expect(c!.headers['transfer-encoding']).toBe('chunked');
    // Counted as the pool's client responses like any HTTP/1.1 request.
    const pool = dp.metricsView().pools.find((x) => x.poolId === 'web')!;
    await eventually(() => dp.metricsView().pools.find((x) => x.poolId === 'web')!.client.responses['2xx'] === 24);
    expect(pool.client.connections.accepted).toBeGreaterThanOrEqual(1);
  });

  it('drops hop-by-hop and connection-specific response headers before they reach the h2 client', async () => {
    const { port } = await start({
      answer: (_req, res) => {
        res.writeHead(200, [
          ['Connection', 'keep-alive, X-Hop'],
          ['Keep-Alive', 'timeout=5'],
          ['X-Hop', 'secret'],
          ['Upgrade', 'h2c'],
          ['Proxy-Connection', 'keep-alive'],
          ['Set-Cookie', 'a=1'],
          ['Set-Cookie', 'b=2'],
        ] as never);
        res.end('ok');
        return true;
      },
    });
    const a = await h2request(session(port), { ':path': '/' });
    expect(a.status).toBe(200);
    expect(a.body).toBe('ok');
    for (const h of ['connection', 'keep-alive', 'x-hop', 'upgrade', 'proxy-connection', 'transfer-encoding']) expect(a.headers![h]).toBeUndefined();
    expect(a.headers!['set-cookie']).toEqual(['a=1', 'b=2']);
  });

  it('refuses an :authority that disagrees with Host, a :path not in origin form, CONNECT and a bad :scheme, without reaching the backend', async () => {
    const { port, backend } = await start();
    const s = session(port);
    const mismatch = await h2request(s, { ':path': '/', host: 'other.example.com' });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body).toMatch(/:authority disagrees with Host/);
    const absolute = await h2request(s, { ':path': 'https://app.example.com/' });
    expect(absolute.status === 400 || absolute.rstCode === constants.NGHTTP2_PROTOCOL_ERROR).toBe(true);
    const scheme = await h2request(s, { ':path': '/', ':scheme': 'http' });
    expect(scheme.status).toBe(400);
    const connect = await h2request(s, { ':method': 'CONNECT', ':authority': 'internal.example:22' } as OutgoingHttpHeaders);
    expect(connect.status === 405 || connect.rstCode === constants.NGHTTP2_PROTOCOL_ERROR).toBe(true);
    expect(backend.seen).toEqual([]);
    // The connection still serves.
    expect((await h2request(s, { ':path': '/after' })).status).toBe(200);
  });

  it('answers 431 past the listener head limits, and resets a head far past them without harm', async () => {
    const { port, backend } = await start({ http: { maxHeaders: 20, maxHeadBytes: 4096 } });
    const s = session(port);
    const many: OutgoingHttpHeaders = { ':path': '/' };
    for (let i = 0; i < 30; i++) many[`x-h${i}`] = 'v';
    expect((await h2request(s, many)).status).toBe(431);
    expect((await h2request(s, { ':path': '/', 'x-big': 'a'.repeat(5000) })).status).toBe(431);
    const huge = await h2request(session(port), { ':path': '/', 'x-huge': 'a'.repeat(40_000) });
    expect(huge.status === 431 || huge.status === undefined).toBe(true);
    expect(backend.seen).toEqual([]);
    expect((await h2request(session(port), { ':path': '/ok' })).status).toBe(200);
  });

  it('never forwards body bytes past content-length, nor a body that ends short of it', async () => {
    const { port, backend } = await start();
    const s = session(port);
    const long = await h2request(s, { ':method': 'POST', ':path': '/long', 'content-length': '3' }, 'abcSMUGGLED');
    expect(long.status).not.toBe(200);
    const short = await h2request(session(port), { ':method': 'POST', ':path': '/short', 'content-length': '10' }, 'abc');
    expect(short.status).not.toBe(200);
    // Whatever reached the backend never completed, and never held the bytes past the length.
    await eventually(() => backend.seen.every((x) => !x.complete));
    for (const x of backend.seen) expect(x.body).not.toMatch(/SMUGGLED/);
    expect((await h2request(session(port), { ':path': '/ok' })).status).toBe(200);
  });

  it('advertises a concurrent stream limit and closes a connection that resets streams as fast as it opens them (CVE-2023-44487)', async () => {
    const { port, backend, dp } = await start();
    const s = session(port);
    await new Promise<void>((r) => s.once('remoteSettings', () => r()));
    expect(s.remoteSettings.maxConcurrentStreams).toBe(100);
    let goaway: number | undefined;
    s.on('goaway', (code) => (goaway = code));
    const closed = new Promise<void>((r) => s.once('close', () => r()));
    // Far fewer than nghttp2's own limit (1000 at once), far more than the proxy allows.
    for (let i = 0; i < PREMATURE_END_BURST * 4 && !s.destroyed && !s.closed; i++) {
      try {
        const req = s.request({ ':authority': 'app.example.com', ':path': `/r${i}` });
        req.on('error', () => {});
        req.close(constants.NGHTTP2_CANCEL);
      } catch {
        break; // the session went away under the loop
      }
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
    await closed;
    expect(goaway === undefined || goaway === constants.NGHTTP2_ENHANCE_YOUR_CALM).toBe(true);
    expect(backend.seen.length).toBeLessThan(PREMATURE_END_BURST * 4);
    expect(dp.connections().h2AbusiveClosed).toBe(1);
    // Another client is served.
    expect((await h2request(session(port), { ':path': '/ok' })).status).toBe(200);
  });

  it('refuses connection-specific fields sent raw (RFC 9113 §8.2.2) before any backend sees them', async () => {
    const { port, backend } = await start();
    for (const [name, value] of [
      ['connection', 'keep-alive'],
      ['transfer-encoding', 'chunked'],
      ['keep-alive', 'timeout=5'],
      ['upgrade', 'websocket'],
      ['te', 'gzip'],
    ] as const) {
      const outcome = await rawStream(port, [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'app.example.com'],
        [':path', '/'],
        [name, value],
      ]);
      expect(outcome, name).toMatch(/^(rst:1|status:400)$/);
    }
    expect(backend.seen).toEqual([]);
  });

  it('logs the protocol as HTTP/2.0', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-h2-log-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'access.log');
    const { port } = await start({ accessLog: new AccessLogWriter(file) });
    expect((await h2request(session(port), { ':path': '/logged' })).status).toBe(200);
    await eventually(() => existsSync(file) && readFileSync(file, 'utf8').includes('/logged'));
    const record = ZAccessRecord.parse(
      JSON.parse(
        readFileSync(file, 'utf8')
          .split('\n')
          .find((l) => l.includes('/logged'))!,
      ),
    );
    expect(record).toMatchObject({ protocol: 'HTTP/2.0', method: 'GET', path: '/logged', status: 200, host: 'app.example.com' });
  });

  it('h2c stays off: an HTTP/2 preface on a plain http listener is refused', async () => {
    const backend = await recordingBackend();
    const dp = new Dataplane({ runHealthChecks: false });
    cleanup.push(() => dp.stop());
    const port = await applyOnFreePort(dp, (p) => {
      const snap = snapshot(p, backend.port, false);
      const { tls: _t, ...listener } = snap.listeners![0]!;
      return { ...snap, listeners: [{ ...listener, protocol: 'http' }], certificates: [], secrets: {} };
    });
    const answer = await new Promise<string>((resolve, reject) => {
      const sock = netConnect(port, '127.0.0.1', () => sock.write('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'));
      let text = '';
      sock.setEncoding('latin1');
      sock.on('data', (c: string) => (text += c));
      sock.on('close', () => resolve(text));
      sock.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(backend.seen).toEqual([]);
  });
});

/**
 * One stream written frame by frame (node's client will not send connection-specific fields):
 * `rst:<code>` when the stream was reset, `status:<n>` for an answer (read from the proxy's own
 * refusal body, which is plain text in DATA frames, so no HPACK decoder is needed).
 */
function rawStream(port: number, fields: (readonly [string, string])[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const frame = (type: number, flags: number, stream: number, payload: Buffer) => {
      const h = Buffer.alloc(9);
      h.writeUIntBE(payload.length, 0, 3);
      h[3] = type;
      h[4] = flags;
      h.writeUInt32BE(stream, 5);
      return Buffer.concat([h, payload]);
    };
    // HPACK literal fields without indexing, new names, no Huffman (RFC 7541 §6.2.2); lengths < 127.
    const block = Buffer.concat(fields.map(([n, v]) => Buffer.concat([Buffer.from([0x00, n.length]), Buffer.from(n), Buffer.from([v.length]), Buffer.from(v)])));
    const sock = tlsConnect({ host: '127.0.0.1', port, ca: tls.pki.ca, servername: 'app.example.com', ALPNProtocols: ['h2'] }, () => {
      sock.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(4, 0, 0, Buffer.alloc(0)), frame(1, 0x5, 1, block)]));
    });
    let buf = Buffer.alloc(0);
    let data = '';
    const done = (outcome: string) => {
      sock.destroy();
      resolve(outcome);
    };
    sock.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      while (buf.length >= 9) {
        const len = buf.readUIntBE(0, 3);
        if (buf.length < 9 + len) break;
        const type = buf[3]!;
        const flags = buf[4]!;
        const stream = buf.readUInt32BE(5) & 0x7fffffff;
        const payload = buf.subarray(9, 9 + len);
        buf = buf.subarray(9 + len);
        if (type === 3 && stream === 1) return done(`rst:${payload.readUInt32BE(0)}`);
        if (type === 7) return done(`goaway:${payload.readUInt32BE(4)}`);
        if (type === 0 && stream === 1) {
          data += payload.toString('latin1');
          if (flags & 0x1) return done(`status:${/^(\d{3}) /.exec(data)?.[1] ?? '?'}`);
        }
      }
    });
    sock.on('error', reject);
    sock.on('close', () => resolve('closed'));
  });
}
