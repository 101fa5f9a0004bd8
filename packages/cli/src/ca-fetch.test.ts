import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { TestPki } from '@fulcrum/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './main';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) }, out, err };
}

let pki: TestPki;
let server: Server;
let url: string;
const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrumctl-ca-'));
const seen: (string | undefined)[] = [];

beforeAll(async () => {
  pki = await TestPki.create();
  const leaf = await pki.leaf({ names: ['fulcrum.test'], ips: ['127.0.0.1'], ecdsa: true });
  server = createServer({ cert: leaf.chain, key: leaf.key }, (req, res) => {
    seen.push(req.headers.authorization);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify([]));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  writeFileSync(path.join(dir, 'ca.pem'), pki.ca);
  writeFileSync(path.join(dir, 'junk.pem'), 'junk');
});

afterAll(() => {
  server?.close();
  pki?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('fulcrumctl against an https control plane', () => {
  it('trusts a private CA given with --ca or FULCRUM_CA', async () => {
    const flag = capture();
    expect(await main(['--url', url, '--token', 'tok', '--ca', path.join(dir, 'ca.pem'), 'pools', 'list'], flag.io, {}), flag.err.join('\n')).toBe(0);
    const env = capture();
    expect(await main(['--json', 'pools', 'list'], env.io, { FULCRUM_URL: url, FULCRUM_TOKEN: 'tok', FULCRUM_CA: path.join(dir, 'ca.pem') }), env.err.join('\n')).toBe(0);
    expect(env.out.join('')).toBe('[]');
    expect(seen).toEqual(['Bearer tok', 'Bearer tok']);
  });

  it('without the CA the certificate is refused (verification stays on) and the message names --ca', async () => {
    const before = seen.length;
    const c = capture();
    expect(await main(['--url', url, '--token', 'tok', 'pools', 'list'], c.io, {})).toBe(1);
    expect(c.err.join('\n')).toMatch(/^error: cannot reach https:\/\/127\.0\.0\.1:\d+\/api\/v1: .*certificate.* \(--ca FILE trusts the CA that issued it\)/);
    expect(seen.length).toBe(before);
  });

  it('a CA file that is missing or holds no certificate is a usage error', async () => {
    const missing = capture();
    expect(await main(['--url', url, '--token', 'tok', '--ca', path.join(dir, 'nope.pem'), 'pools', 'list'], missing.io, {})).toBe(2);
    expect(missing.err.join('\n')).toMatch(/--ca .*nope\.pem: ENOENT/);
    const junk = capture();
    expect(await main(['--url', url, '--token', 'tok', '--ca', path.join(dir, 'junk.pem'), 'pools', 'list'], junk.io, {})).toBe(2);
    expect(junk.err.join('\n')).toMatch(/--ca .*junk\.pem: no PEM certificate in it/);
  });
});
