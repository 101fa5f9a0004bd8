import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer as createNetServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type TAccessRecord, type TPoolConfigInput, ZAccessRecord } from '@fulcrum/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { Dataplane } from '../dataplane';
import { applyOnFreePort, eventually, freePort, get, snapshotFor, startBackend } from '../test-support';
import { AccessLogWriter } from './access-log-writer';

const here = path.dirname(fileURLToPath(import.meta.url));
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function tmpFile(name = 'access.log'): string {
  const d = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-access-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return path.join(d, name);
}

const linesOf = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
const recordsOf = (file: string) => linesOf(file).map((l) => ZAccessRecord.parse(JSON.parse(l)));

/** A data plane logging to a file, serving one pool on backends that answer with their name. */
async function logged(pool: Partial<TPoolConfigInput> = {}, backends?: { name: string; port: number; adminState?: 'active' | 'disabled' }[]) {
  const file = tmpFile();
  const writer = new AccessLogWriter(file);
  const dp = new Dataplane({ accessLog: writer });
  cleanups.push(() => dp.stop());
  let list = backends;
  if (!list) {
    const a = await startBackend('a');
    cleanups.push(() => a.close());
    list = [{ name: 'a', port: a.port }];
  }
  const port = await applyOnFreePort(dp, (p) => snapshotFor(p, list, { name: 'web', ...pool }));
  return { file, port, dp, writer };
}

describe('access log', () => {
  it('writes one JSON line per request with what the client got, the backend, its timings and the request id', async () => {
    const { file, port } = await logged();
    const res = await get(port, '/hello?x=1', { 'x-request-id': 'req-123', 'user-agent': 'probe/1', referer: 'http://ref.example/' });
    expect(res.status).toBe(200);
    await eventually(() => linesOf(file).length === 1);
    const [r] = recordsOf(file) as [TAccessRecord];
    expect(r).toMatchObject({
      pool: 'web',
      poolId: 'pool-1',
      clientIp: '127.0.0.1',
      method: 'GET',
      host: `127.0.0.1:${port}`,
      path: '/hello?x=1',
      status: 200,
      bytesOut: 1,
      attempts: 1,
      requestId: 'req-123',
      termination: 'normal',
      userAgent: 'probe/1',
      referer: 'http://ref.example/',
    });
    expect(r.upstream).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(r.connectMs).toBeGreaterThanOrEqual(0);
    expect(r.firstByteMs).toBeGreaterThanOrEqual(0);
    expect(r.durationMs).toBeGreaterThanOrEqual(r.firstByteMs);
    expect(Date.parse(r.time)).not.toBeNaN();
  });

  it('names the forwarded client only when the peer is a trusted proxy', async () => {
    const { file, port } = await logged({ http: { trustedProxies: ['127.0.0.1/32'] } });
    await get(port, '/', { 'x-forwarded-for': '198.51.100.7, 203.0.113.9' });
    const untrusted = await logged();
    await get(untrusted.port, '/', { 'x-forwarded-for': '198.51.100.7' });
    await eventually(() => linesOf(file).length === 1 && linesOf(untrusted.file).length === 1);
    expect(recordsOf(file)[0]!.clientIp).toBe('203.0.113.9');
    expect(recordsOf(untrusted.file)[0]!.clientIp).toBe('127.0.0.1');
  });

  it('logs the 503 the proxy answers itself when no backend is healthy, with its termination code', async () => {
    const { file, port } = await logged({}, [{ name: 'off', port: 1, adminState: 'disabled' }]);
    expect((await get(port, '/down')).status).toBe(503);
    await eventually(() => linesOf(file).length === 1);
    expect(recordsOf(file)[0]).toMatchObject({ status: 503, path: '/down', termination: 'no_healthy_backend', attempts: 0, upstream: '', connectMs: -1 });
  });

  it('logs a failed connect as connect_failed with the backend tried', async () => {
    const { file, port } = await logged({ retries: { attempts: 0 } }, [{ name: 'dead', port: 1 }]);
    expect((await get(port, '/')).status).toBe(502);
    await eventually(() => linesOf(file).length === 1);
    expect(recordsOf(file)[0]).toMatchObject({ status: 502, termination: 'connect_failed', upstream: '127.0.0.1:1', attempts: 1 });
  });

  it('logs a request the listener refused (400) with the refused code', async () => {
    const { file, port } = await logged();
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n'));
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.resume();
    });
    await eventually(() => linesOf(file).length === 1);
    expect(recordsOf(file)[0]).toMatchObject({ status: 400, termination: 'refused', clientIp: '127.0.0.1' });
  });

  it('samples ordinary requests at the pool rate and keeps every error line', async () => {
    const { file, port, dp } = await logged({ accessLog: { sampleRate: 0 } });
    for (let i = 0; i < 5; i++) expect((await get(port, `/ok${i}`)).status).toBe(200);
    // The pool loses its backends: its 503s are written whatever the rate.
    await dp.applySnapshot(snapshotFor(port, [{ name: 'off', port: 1, adminState: 'disabled' }], { name: 'web', accessLog: { sampleRate: 0 } }));
    expect((await get(port, '/err')).status).toBe(503);
    await eventually(() => linesOf(file).length >= 1);
    expect(recordsOf(file).map((r) => r.path)).toEqual(['/err']);
  });

  it('writes nothing for a pool whose access log is disabled, and the combined format when asked', async () => {
    const off = await logged({ accessLog: { enabled: false } });
    const combined = await logged({ accessLog: { format: 'combined' } });
    await get(off.port, '/');
    await get(combined.port, '/a b?q="x"', { 'user-agent': 'ua "quoted"\\' }).catch(() => undefined);
    await get(combined.port, '/c', { 'x-request-id': 'r1' });
    await eventually(() => linesOf(combined.file).length === 2);
    const line = linesOf(combined.file)[1]!;
    expect(line).toMatch(
      /^127\.0\.0\.1 - - \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\] "GET \/c HTTP\/1\.1" 200 1 "-" "[^"]*" rt=\d+\.\d{3} uct=\d+\.\d{3} uht=\d+\.\d{3} ua="127\.0\.0\.1:\d+" attempts=1 term=normal pool=web rid="r1" host="127\.0\.0\.1:\d+" in=0$/,
    );
    expect(linesOf(combined.file)[0]).toContain('"ua \\"quoted\\"\\\\"');
    expect(linesOf(off.file)).toEqual([]);
  });

  it('drops and counts lines past the buffer bound instead of growing memory', async () => {
    const file = tmpFile();
    const writer = new AccessLogWriter(file, 100);
    cleanups.push(() => writer.close());
    for (let i = 0; i < 50; i++) writer.write(`${'x'.repeat(30)}\n`);
    expect(writer.dropped).toBeGreaterThan(0);
    await eventually(() => linesOf(file).length === 50 - writer.dropped);
  });

  it('keeps every line whole and in order across its 64 KiB chunks: multi-byte characters, and lines longer than a chunk', async () => {
    const file = tmpFile();
    const writer = new AccessLogWriter(file, 64 * 1024 * 1024);
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      // 3-byte characters and surrogate pairs (4 bytes) fill a chunk faster than its UTF-16 length says.
      lines.push(i === 1500 ? `${'中'.repeat(100_000)}\n` : i === 2000 ? `${'😀'.repeat(9_000)}\n` : `${i} ${'é中😀'.repeat(i % 60)}${'x'.repeat(i % 400)}\n`);
    }
    for (const l of lines) writer.write(l);
    await writer.close();
    expect(writer.dropped).toBe(0);
    expect(writer.written).toBe(lines.length);
    expect(readFileSync(file, 'utf8')).toBe(lines.join(''));
  });

  it('writes JSON lines straight into its chunks byte for byte as JSON.stringify, whatever a value needs (escapes that grow it sixfold, lines past a chunk)', async () => {
    const file = tmpFile();
    const writer = new AccessLogWriter(file, 64 * 1024 * 1024);
    const base: TAccessRecord = {
      time: '2026-12-01T11:20:00.000Z',
      pool: 'web',
      poolId: 'p1',
      clientIp: '10.0.0.1',
      method: 'GET',
      host: 'example.com',
      path: '/',
      status: 200,
      bytesIn: 0,
      bytesOut: 17,
      durationMs: 1.25,
      upstream: '127.0.0.1:8080',
      connectMs: 0.031,
      firstByteMs: 1.1,
      attempts: 1,
      requestId: 'r',
      termination: 'normal',
      userAgent: 'wrk',
      referer: '',
    };
    const expected: string[] = [];
    for (let i = 0; i < 3000; i++) {
      // A control character is six bytes as JSON (\u0001): the worst growth a value can have.
      const value = i === 700 ? '\u0001'.repeat(30_000) : i === 1400 ? `${'中'.repeat(40_000)}\ud800` : i === 2100 ? '"\\'.repeat(50_000) : `/${i}${'é\u001f'.repeat(i % 50)}${'x'.repeat(i % 300)}`;
      const r = { ...base, path: value, userAgent: i % 7 === 0 ? value : 'wrk', durationMs: i / 1000, bytesOut: i * 1013 };
      if (i % 500 === 250) {
        // Text lines (the combined format) between JSON ones share the same chunks.
        writer.write(`text ${i}\n`);
        expected.push(`text ${i}\n`);
      }
      writer.writeJson(r);
      expected.push(`${JSON.stringify(r)}\n`);
    }
    await writer.close();
    expect(writer.dropped).toBe(0);
    expect(writer.written).toBe(expected.length);
    expect(readFileSync(file, 'utf8')).toBe(expected.join(''));
  });

  it('reopens its file by path after the file was renamed (logrotate), in-process', async () => {
    const file = tmpFile();
    const writer = new AccessLogWriter(file);
    cleanups.push(() => writer.close());
    writer.write('one\n');
    await eventually(() => linesOf(file).length === 1);
    renameSync(file, `${file}.1`);
    writer.write('two\n');
    await eventually(() => linesOf(`${file}.1`).length === 2);
    writer.reopen();
    writer.write('three\n');
    await eventually(() => linesOf(file).length === 1);
    expect(linesOf(file)).toEqual(['three']);
    expect(linesOf(`${file}.1`)).toEqual(['one', 'two']);
  });
});

describe('access log of TCP pools', () => {
  it('writes one line per connection: bytes both ways, the backend, its connect time; no backend is no_healthy_backend', async () => {
    const echo = createNetServer((s) => s.pipe(s));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => echo.close(r)));
    const echoPort = (echo.address() as { port: number }).port;
    const { file, port, dp } = await logged({ protocol: 'tcp' }, [{ name: 'echo', port: echoPort }]);
    const reply = await new Promise<string>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => s.write('ping'));
      s.once('data', (d) => {
        resolve(d.toString());
        s.end();
      });
      s.on('error', reject);
    });
    expect(reply).toBe('ping');
    await eventually(() => linesOf(file).length === 1);
    expect(recordsOf(file)[0]).toMatchObject({ pool: 'web', method: '', path: '', status: 0, bytesIn: 4, bytesOut: 4, upstream: `127.0.0.1:${echoPort}`, attempts: 1, termination: 'normal' });
    expect(recordsOf(file)[0]!.connectMs).toBeGreaterThanOrEqual(0);

    await dp.applySnapshot(snapshotFor(port, [{ name: 'echo', port: echoPort, adminState: 'disabled' }], { name: 'web', protocol: 'tcp' }));
    await new Promise<void>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => resolve());
      s.on('close', () => resolve());
      s.resume();
    });
    await eventually(() => linesOf(file).length === 2);
    expect(recordsOf(file)[1]).toMatchObject({ status: 0, upstream: '', attempts: 0, termination: 'no_healthy_backend' });
  });
});

describe('access log in the data-plane process', () => {
  it('--access-log writes lines, and SIGUSR1 after a rename starts a new file at the same path', async () => {
    const b = await startBackend('a');
    cleanups.push(() => b.close());
    const file = tmpFile();
    const listen = await freePort();
    const config = path.join(path.dirname(file), 'config.json');
    writeFileSync(config, JSON.stringify(snapshotFor(listen, [{ name: 'a', port: b.port }], { name: 'web' })));
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', path.join(here, '..', 'cli.ts'), '--config', config, '--admin', 'off', '--access-log', file], {
      cwd: path.join(here, '..', '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise((r) => child.once('exit', r));
    cleanups.push(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    await eventually(() => {
      if (child.exitCode !== null) throw new Error(`data plane exited: ${out}`);
      return out.includes('serving config');
    }, 60_000);
    expect((await get(listen, '/before')).status).toBe(200);
    await eventually(() => linesOf(file).length === 1);
    renameSync(file, `${file}.1`);
    child.kill('SIGUSR1');
    // The reopen has happened once a request made after the signal lands in the new file.
    await eventually(async () => {
      await get(listen, '/after');
      return linesOf(file).length > 0;
    });
    expect(recordsOf(`${file}.1`)[0]!.path).toBe('/before');
    expect(recordsOf(file).every((r) => r.path === '/after')).toBe(true);
    expect(child.exitCode).toBeNull();
  });
});
