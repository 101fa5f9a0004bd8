import { X509Certificate } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Agent, request } from 'node:https';
import { connect as netConnect } from 'node:net';
import { type PeerCertificate, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { type TListenerTls, certificateKeyRef } from '@fulcrum/protocol';
import { type TestLeaf, TestPki } from '@fulcrum/test-support';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Dataplane } from '../dataplane';
import { type SnapshotCert, type TestBackend, applyOnFreePort, eventually, httpsSnapshot, startBackend } from '../test-support';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

let pki: TestPki;
let fallback: TestLeaf;
let wildcard: TestLeaf;
let exact: TestLeaf;
let rotated: TestLeaf;
beforeAll(async () => {
  pki = await TestPki.create();
  fallback = await pki.leaf({ names: ['default.test'], ecdsa: true });
  wildcard = await pki.leaf({ names: ['*.example.com'], ecdsa: true });
  exact = await pki.leaf({ names: ['app.example.com'] });
  rotated = await pki.leaf({ names: ['app.example.com'], ecdsa: true });
}, 60_000);
afterAll(() => pki?.dispose());

/** A backend that answers with the forwarding headers it received. */
const echo = (req: IncomingMessage, res: ServerResponse) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ proto: req.headers['x-forwarded-proto'], host: req.headers.host }));
  });
};

type Cert = SnapshotCert;

const snapshot = (port: number, backend: TestBackend, certs: Cert[], tls: Partial<TListenerTls> = {}, opts: { withoutKey?: string } = {}) =>
  httpsSnapshot(port, backend.port, certs, { tls, withoutKey: opts.withoutKey });

const CERTS: Cert[] = [
  { id: 'fallback', version: 1, leaf: undefined as never },
  { id: 'wildcard', version: 1, leaf: undefined as never },
  { id: 'exact', version: 1, leaf: undefined as never },
];
const certs = (): Cert[] => [
  { ...CERTS[0]!, leaf: fallback },
  { ...CERTS[1]!, leaf: wildcard },
  { ...CERTS[2]!, leaf: exact },
];

async function start(list = certs(), tls: Partial<TListenerTls> = {}): Promise<{ dp: Dataplane; port: number; backend: TestBackend }> {
  const backend = await startBackend('web', echo);
  cleanup.push(() => backend.close());
  const dp = new Dataplane({ runHealthChecks: false });
  cleanup.push(() => dp.stop());
  const port = await applyOnFreePort(dp, (p) => snapshot(p, backend, list, tls));
  return { dp, port, backend };
}

/** One TLS handshake: the certificate the proxy chose for `servername` (none: no SNI), or the error. */
function handshake(port: number, servername: string | undefined, extra: object = {}): Promise<{ cert: PeerCertificate; protocol: string | null; alpn: string | false | null } | { error: string }> {
  return new Promise((resolve) => {
    const socket: TLSSocket = tlsConnect(
      { host: '127.0.0.1', port, ca: pki.ca, servername, ALPNProtocols: ['h2', 'http/1.1'], checkServerIdentity: () => undefined, ...extra, timeout: 10_000 } as never,
      () => {
        resolve({ cert: socket.getPeerCertificate(), protocol: socket.getProtocol(), alpn: socket.alpnProtocol });
        socket.end();
      },
    );
    socket.on('timeout', () => socket.destroy(new Error('handshake timed out')));
    socket.on('error', (err) => resolve({ error: err.message }));
  });
}

const fingerprintOf = (leaf: TestLeaf) => new X509Certificate(leaf.cert).fingerprint256;

function get(port: number, agent: Agent, servername: string): Promise<{ status: number; body: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/', agent, servername, headers: { host: servername }, ca: pki.ca, timeout: 10_000 }, (res) => {
      const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, fingerprint }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('https listeners', () => {
  it('choose the certificate by SNI: exact name, then wildcard (one label), then the listener default', async () => {
    const { port } = await start();
    const cn = async (name: string | undefined) => {
      const r = await handshake(port, name);
      if ('error' in r) throw new Error(r.error);
      return r.cert.fingerprint256;
    };
    expect(await cn('app.example.com')).toBe(fingerprintOf(exact));
    expect(await cn('APP.example.com')).toBe(fingerprintOf(exact));
    expect(await cn('api.example.com')).toBe(fingerprintOf(wildcard));
    expect(await cn('a.b.example.com')).toBe(fingerprintOf(fallback)); // a wildcard covers one label
    expect(await cn('example.com')).toBe(fingerprintOf(fallback));
    expect(await cn('other.test')).toBe(fingerprintOf(fallback));
    expect(await cn(undefined)).toBe(fingerprintOf(fallback)); // no SNI at all
  });

  it('serve requests through routing with X-Forwarded-Proto: https, offering only http/1.1 by ALPN', async () => {
    const { port } = await start();
    const hs = await handshake(port, 'app.example.com');
    expect('error' in hs ? hs.error : hs.alpn).toBe('http/1.1');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    cleanup.push(() => agent.destroy());
    const r = await get(port, agent, 'app.example.com');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ proto: 'https', host: 'app.example.com' });
  });

  it('speak TLS 1.2 and 1.3 with forward-secret AEAD suites only; minVersion refuses older clients', async () => {
    const { dp, port } = await start();
    const v12 = await handshake(port, 'app.example.com', { maxVersion: 'TLSv1.2' });
    expect('error' in v12 ? v12.error : v12.protocol).toBe('TLSv1.2');
    const v13 = await handshake(port, 'app.example.com');
    expect('error' in v13 ? v13.error : v13.protocol).toBe('TLSv1.3');
    // RSA key exchange, and CBC with ECDHE, are not offered.
    expect(await handshake(port, 'app.example.com', { maxVersion: 'TLSv1.2', ciphers: 'AES128-GCM-SHA256:AES256-SHA256' })).toHaveProperty('error');
    expect(await handshake(port, 'app.example.com', { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES128-SHA256:ECDHE-RSA-AES128-SHA' })).toHaveProperty('error');

    const before = dp.connections().tlsHandshakeFailures;
    const only13 = await dp.applySnapshot(snapshot(port, (await start()).backend, certs(), { minVersion: 'TLSv1.3' }));
    expect(only13).toMatchObject({ ok: true, refused: [] });
    expect(await handshake(port, 'app.example.com', { maxVersion: 'TLSv1.2' })).toHaveProperty('error');
    const ok = await handshake(port, 'app.example.com');
    expect('error' in ok ? ok.error : ok.protocol).toBe('TLSv1.3');
    await eventually(() => dp.connections().tlsHandshakeFailures > before);
  });

  it('count failed handshakes (plain HTTP, garbage, a client that leaves) and keep serving', async () => {
    const { dp, port } = await start();
    const send = (bytes: string) =>
      new Promise<void>((resolve) => {
        const s = netConnect(port, '127.0.0.1', () => s.end(bytes));
        s.on('error', () => resolve());
        s.on('close', () => resolve());
        s.resume();
      });
    await send('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await send('\x16\x03\x01\x00\x05hello');
    await send('');
    await eventually(() => dp.connections().tlsHandshakeFailures >= 3);
    const r = await handshake(port, 'app.example.com');
    expect(r).not.toHaveProperty('error');
    // Every connection, failed or served, is let go of: the per-listener cap counts open ones only.
    await eventually(() => dp.connections().open === 0);
  });

  it('refuse a listener whose certificate key is not in the snapshot, naming the secret; its previous config keeps serving', async () => {
    const { dp, port, backend } = await start();
    const result = await dp.applySnapshot(snapshot(port, backend, certs(), {}, { withoutKey: 'wildcard' }));
    expect(result.ok).toBe(true);
    const refused = result.ok ? result.refused : [];
    expect(refused.map((r) => r.error).join()).toMatch(/private key of certificate wildcard \(certificate\/wildcard\/key\) is not in the snapshot's secrets/);
    expect(refused[0]?.keptPrevious).toBe(true);
    const still = await handshake(port, 'api.example.com');
    expect('error' in still ? still.error : still.cert.fingerprint256).toBe(fingerprintOf(wildcard));
    // A key that does not match its chain is refused too, with OpenSSL's reason and without the key.
    const swapped = snapshot(port, backend, certs());
    swapped.secrets = { ...swapped.secrets, [certificateKeyRef('exact')]: fallback.key };
    const mismatch = await dp.applySnapshot(swapped);
    const error = mismatch.ok ? mismatch.refused.map((r) => r.error).join() : mismatch.error;
    expect(error).toMatch(/certificate exact \(exact\) version 1 cannot be used/);
    expect(error).not.toContain('PRIVATE KEY');
  });

  it('rotate a certificate under load: new handshakes get the new one, open connections stay, no request fails', async () => {
    const { port, dp, backend } = await start();
    const agents = Array.from({ length: 4 }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
    cleanup.push(() => agents.forEach((a) => a.destroy()));
    let stop = false;
    const seen = new Set<string>();
    let ok = 0;
    const failures: string[] = [];
    const loop = async (agent: Agent) => {
      // Bounded: stops when the rotation has been seen, or after 2000 requests per client.
      for (let i = 0; i < 2000 && !stop; i++) {
        try {
          const r = await get(port, agent, 'app.example.com');
          if (r.status !== 200) failures.push(`status ${r.status}`);
          else ok++;
          seen.add(r.fingerprint);
        } catch (err) {
          failures.push((err as Error).message);
        }
      }
    };
    const running = agents.map(loop);
    await eventually(() => ok >= 40);
    const kept = await new Promise<TLSSocket>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port, ca: pki.ca, servername: 'app.example.com' }, () => resolve(s));
      s.on('error', reject);
    });
    cleanup.push(() => void kept.destroy());
    const next = certs().map((c) => (c.id === 'exact' ? { ...c, version: 2, leaf: rotated } : c));
    expect(await dp.applySnapshot(snapshot(port, backend, next))).toMatchObject({ ok: true, refused: [] });
    const fresh = await handshake(port, 'app.example.com');
    expect('error' in fresh ? fresh.error : fresh.cert.fingerprint256).toBe(fingerprintOf(rotated));
    // Keep-alive connections opened before the rotation still serve.
    const afterOk = ok;
    await eventually(() => ok >= afterOk + 40);
    stop = true;
    await Promise.all(running);
    expect(failures).toEqual([]);
    expect(seen.has(fingerprintOf(exact))).toBe(true);
    // The connection opened before the rotation is still open and still answers, with the old certificate.
    expect(kept.destroyed).toBe(false);
    expect(kept.getPeerCertificate().fingerprint256).toBe(fingerprintOf(exact));
    const answer = await new Promise<string>((resolve, reject) => {
      let data = '';
      kept.on('data', (c: Buffer) => {
        data += c.toString('latin1');
        if (data.includes('\r\n\r\n') && data.includes('}')) resolve(data);
      });
      kept.on('error', reject);
      kept.write('GET / HTTP/1.1\r\nHost: app.example.com\r\n\r\n');
    });
    expect(answer).toMatch(/^HTTP\/1\.1 200/);
  }, 120_000);
});
