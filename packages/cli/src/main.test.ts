import { createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import { main } from './main';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

describe('fulcrumctl command line', () => {
  it('prints usage for --help and refuses unknown commands and missing credentials with exit code 2', async () => {
    const help = capture();
    expect(await main(['--help'], help.io, {})).toBe(0);
    expect(help.out.join('\n')).toMatch(/deploy start\s+--pool P --version V --backend HOST:PORT/);
    const unknown = capture();
    expect(await main(['pools', 'explode'], unknown.io, { FULCRUM_URL: 'http://x', FULCRUM_TOKEN: 't' })).toBe(2);
    expect(unknown.err.join('\n')).toMatch(/unknown command "pools explode"/);
    const anon = capture();
    expect(await main(['pools', 'list'], anon.io, {})).toBe(2);
    expect(anon.err.join('\n')).toMatch(/--url and --token, or FULCRUM_URL and FULCRUM_TOKEN/);
    const bad = capture();
    expect(await main(['deploy', 'start', '--pool', 'web', '--version', 'v2', '--backend', 'nope'], bad.io, { FULCRUM_URL: 'http://127.0.0.1:1', FULCRUM_TOKEN: 't' })).toBe(2);
    expect(bad.err.join('\n')).toMatch(/expected host:port, got "nope"/);
  });

  it('shows the server message and each field error, or JSON with --json', async () => {
    // An expect inside the handler would throw in the server, not fail the test: record, then assert.
    const seen: { url?: string; authorization?: string }[] = [];
    const server = createServer((req, res) => {
      seen.push({ url: req.url, authorization: req.headers.authorization });
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'Input validation failed', code: 'BAD_REQUEST', data: { fieldErrors: { 'backends.0.port': ['port must be between 1 and 65535'] } } }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const human = capture();
      expect(await main(['--url', url, '--token', 'tok', 'pools', 'list'], human.io, {})).toBe(1);
      expect(human.err.join('\n')).toBe('error: Input validation failed (HTTP 400)\n  backends.0.port: port must be between 1 and 65535');
      const json = capture();
      expect(await main(['--json', 'pools', 'list'], json.io, { FULCRUM_URL: `${url}/api/v1/`, FULCRUM_TOKEN: 'tok' })).toBe(1);
      expect(JSON.parse(json.err[0]!)).toEqual({ error: 'Input validation failed', status: 400, fieldErrors: { 'backends.0.port': ['port must be between 1 and 65535'] } });
      expect(seen).toEqual([
        { url: '/api/v1/pools', authorization: 'Bearer tok' },
        { url: '/api/v1/pools', authorization: 'Bearer tok' },
      ]);
    } finally {
      server.close();
    }
  });

  it('says which address it could not reach', async () => {
    const c = capture();
    expect(await main(['pools', 'list'], c.io, { FULCRUM_URL: 'http://127.0.0.1:1', FULCRUM_TOKEN: 't' })).toBe(1);
    expect(c.err.join('\n')).toMatch(/^error: cannot reach http:\/\/127\.0\.0\.1:1\/api\/v1/);
  });
});
