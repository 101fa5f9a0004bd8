import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { main as fulcrumctl } from '@fulcrum/cli';
import type { Prisma } from '@fulcrum/db';
import { type TConfigSnapshot, certificateKeyRef } from '@fulcrum/protocol';
import { type TestLeaf, TestPki } from '@fulcrum/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateOpenApi } from '../../rest';
import { withSecrets } from '../../secrets/snapshot-secrets';
import { useTestApi, startRestServer } from '../../test-support';
import { getCurrentSnapshot } from '../revisions/revisions';
import { recordCertificateExpiry } from './certificate-expiry';

const api = useTestApi();
let rest: Awaited<ReturnType<typeof startRestServer>>;
let pki: TestPki;
let rsa: TestLeaf;
let ecdsa: TestLeaf;
let other: TestLeaf;
let expired: TestLeaf;
let soon: TestLeaf;
const tokens = { admin: '', operator: '', viewer: '' };

beforeAll(async () => {
  rest = await startRestServer(api);
  pki = await TestPki.create();
  rsa = await pki.leaf({ names: ['app.example.com', '*.app.example.com'] });
  ecdsa = await pki.leaf({ names: ['api.example.com'], ecdsa: true });
  other = await pki.leaf({ names: ['other.example.com'], ecdsa: true });
  expired = await pki.leaf({ names: ['old.example.com'], days: -1 });
  soon = await pki.leaf({ names: ['soon.example.com'], days: 10 });
  for (const role of ['admin', 'operator', 'viewer'] as const) tokens[role] = await api.token(role);
});
afterAll(async () => {
  pki?.dispose();
  await rest?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: a test helper; callers read the answer field by field and assert on it (its shape is what is under test)
async function call(who: keyof typeof tokens, method: string, path: string, body?: unknown): Promise<{ status: number; text: string; json: any }> {
  const res = await fetch(`${rest.base}${path}`, {
    method,
    headers: { authorization: `Bearer ${tokens[who]}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
}

/** The base64 body of a PEM key: what must never appear in any answer. */
const keyBody = (leaf: TestLeaf) =>
  leaf.key
    .split('\n')
    .filter((l) => l && !l.startsWith('-----'))
    .join('');
const leaks = (text: string, ...leaves: TestLeaf[]) => text.includes('PRIVATE KEY') || leaves.some((l) => keyBody(l).slice(0, 40).length > 0 && text.includes(keyBody(l).slice(0, 40)));

describe('certificates', () => {
  it('upload (admin only) checks the PEM, stores the key sealed, and answers facts without the key', async () => {
    expect((await call('operator', 'POST', '/certificates', { name: 'app', chain: rsa.chain, key: rsa.key })).status).toBe(403);
    const up = await call('admin', 'POST', '/certificates', { name: 'app', chain: rsa.chain, key: rsa.key });
    expect(up.status).toBe(200);
    expect(up.json).toMatchObject({ name: 'app', names: ['app.example.com', '*.app.example.com'], keyType: 'rsa 2048', version: 1, usedBy: [] });
    expect(up.json.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(new Date(up.json.notAfter).getTime()).toBeGreaterThan(Date.now());
    expect(leaks(up.text, rsa)).toBe(false);
    const row = await api.db.prisma.certificate.findUniqueOrThrow({ where: { name: 'app' } });
    expect(row.keySealed.startsWith('v1.')).toBe(true);
    expect(row.keySealed).not.toContain(keyBody(rsa).slice(0, 40));

    const ec = await call('admin', 'POST', '/certificates', { name: 'api', chain: ecdsa.chain, key: ecdsa.key });
    expect(ec.json).toMatchObject({ keyType: 'ec P-256', names: ['api.example.com'] });
    expect((await call('admin', 'POST', '/certificates', { name: 'app', chain: other.chain, key: other.key })).status).toBe(409);

    // Viewers read everything but the key; so does every list, get and the OpenAPI document.
    const list = await call('viewer', 'GET', '/certificates');
    expect(list.status).toBe(200);
    expect(list.json.map((c: { name: string }) => c.name)).toEqual(['api', 'app']);
    expect(leaks(list.text, rsa, ecdsa)).toBe(false);
    const one = await call('viewer', 'GET', '/certificates/app');
    expect(one.json.chain).toContain('BEGIN CERTIFICATE');
    expect(leaks(one.text, rsa)).toBe(false);
    expect(Object.keys(generateOpenApi().paths ?? {})).toEqual(expect.arrayContaining(['/certificates', '/certificates/{id}']));
  });

  it('refuses a bad upload naming chain or key, without echoing key material', async () => {
    const bad = async (body: object, field: 'chain' | 'key', message: RegExp) => {
      const r = await call('admin', 'POST', '/certificates', { name: 'bad', ...body });
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.json)).toMatch(message);
      expect(Object.keys(r.json.data.fieldErrors ?? {})).toEqual([field]);
      expect(leaks(r.text, rsa, ecdsa, other)).toBe(false);
    };
    await bad({ chain: rsa.chain, key: ecdsa.key }, 'key', /does not belong to the chain's first certificate/);
    await bad({ chain: pki.ca + rsa.cert, key: rsa.key }, 'chain', /CA certificate|did not issue/);
    await bad({ chain: rsa.cert + other.cert, key: rsa.key }, 'chain', /certificate 2 of the chain did not issue certificate 1/);
    await bad({ chain: '-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n', key: rsa.key }, 'chain', /not a parseable X.509/);
    await bad({ chain: rsa.chain + rsa.key, key: rsa.key }, 'chain', /chain holds a private key/);
    await bad({ chain: rsa.chain, key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' }, 'key', /not a parseable private key/);
    await bad({ chain: rsa.chain, key: 'hello' }, 'key', /not PEM text/);
    expect(await api.db.prisma.certificate.count({ where: { name: 'bad' } })).toBe(0);
  });

  it('revisions carry the public chain, never the key; the link attaches the key for https listeners, and a rotation bumps the version', async () => {
    const revisions = await api.db.prisma.configRevision.findMany();
    const stored = JSON.stringify(revisions.map((r) => r.snapshot));
    expect(stored).toContain('app.example.com');
    expect(leaks(stored, rsa, ecdsa)).toBe(false);
    expect(leaks((await call('viewer', 'GET', '/revisions?limit=50')).text, rsa, ecdsa)).toBe(false);

    const current = (await getCurrentSnapshot(api.db.prisma))!;
    const app = current.certificates!.find((c) => c.name === 'app')!;
    expect(app).toMatchObject({ version: 1, names: ['app.example.com', '*.app.example.com'] });
    const https: TConfigSnapshot = {
      ...current,
      listeners: [
        {
          id: 'edge',
          name: 'edge',
          address: '127.0.0.1',
          port: 8443,
          protocol: 'https',
          http: { headTimeoutMs: 10_000, maxHeadBytes: 16_384, maxHeaders: 100, trustedProxies: [] },
          idleMs: 60_000,
          tls: { certificateIds: [app.id], http2: false, minVersion: 'TLSv1.2' },
          routes: [],
        },
      ],
    };
    // Only the certificates an https listener names travel, and only over the link.
    expect((await withSecrets(api.db.prisma, current)).secrets).toBeUndefined();
    const sent = await withSecrets(api.db.prisma, https);
    expect(Object.keys(sent.secrets ?? {})).toEqual([certificateKeyRef(app.id)]);
    expect(sent.secrets?.[certificateKeyRef(app.id)]?.trim()).toBe(rsa.key.trim());

    const rotated = await call('admin', 'PUT', `/certificates/${app.id}`, { chain: other.chain, key: other.key });
    expect(rotated.status).toBe(200);
    expect(rotated.json).toMatchObject({ id: app.id, version: 2, names: ['other.example.com'] });
    expect(leaks(rotated.text, other)).toBe(false);
    const after = (await getCurrentSnapshot(api.db.prisma))!;
    expect(after.hash).not.toBe(current.hash);
    expect(after.certificates!.find((c) => c.id === app.id)?.version).toBe(2);
    const diff = await call('viewer', 'GET', `/revisions/diff?from=${current.version}&to=${after.version}`);
    expect(diff.json.changes).toEqual(expect.arrayContaining([{ path: 'certificates.app.version', kind: 'changed', before: 1, after: 2 }]));
    expect(leaks(diff.text, rsa, other)).toBe(false);
    // The old revision's chain and the new key do not belong together: the send is stopped with the reason.
    await expect(withSecrets(api.db.prisma, https)).rejects.toThrow(/certificate app is at version 2, revision \d+ carries version 1/);
    expect((await call('admin', 'PUT', `/certificates/${app.id}`, { chain: rsa.chain, key: other.key })).status).toBe(400);
  });

  it('refuses to delete a certificate a listener serves, naming the listener', async () => {
    const cert = (await call('viewer', 'GET', '/certificates/api')).json;
    const current = (await getCurrentSnapshot(api.db.prisma))!;
    // A listener that serves it (listeners get tables of their own on another branch; a revision is what data planes run).
    const version = current.version + 1;
    const withListener = {
      ...current,
      version,
      listeners: [
        {
          id: 'edge',
          name: 'edge',
          address: '127.0.0.1',
          port: 8443,
          protocol: 'https',
          http: { headTimeoutMs: 10_000, maxHeadBytes: 16_384, maxHeaders: 100, trustedProxies: [] },
          idleMs: 60_000,
          tls: { certificateIds: [cert.id], http2: false, minVersion: 'TLSv1.2' },
          routes: [],
        },
      ],
    };
    await api.db.prisma.configRevision.create({
      data: { version, hash: `${current.hash}-edge`, snapshot: withListener as unknown as Prisma.InputJsonValue, author: 'test', message: 'an https listener' },
    });
    expect((await call('viewer', 'GET', '/certificates/api')).json.usedBy).toEqual(['edge']);
    const refused = await call('admin', 'DELETE', `/certificates/${cert.id}?expectedVersion=${cert.version}`);
    expect(refused.status).toBe(409);
    expect(refused.text).toMatch(/served by listener edge/);
    const unused = (await call('viewer', 'GET', '/certificates/app')).json;
    expect((await call('admin', 'DELETE', `/certificates/${unused.id}?expectedVersion=${unused.version}`)).status).toBe(200);
    expect((await call('viewer', 'GET', '/certificates/app')).status).toBe(404);
  });

  it('records an event 14 days before expiry and when expired, once per certificate version', async () => {
    expect((await call('admin', 'POST', '/certificates', { name: 'old', chain: expired.chain, key: expired.key })).status).toBe(200);
    expect((await call('admin', 'POST', '/certificates', { name: 'soon', chain: soon.chain, key: soon.key })).status).toBe(200);
    const events = () => api.db.prisma.event.findMany({ where: { kind: 'certificate_expiry' }, orderBy: { createdAt: 'asc' } });
    const now = new Date();
    // Twenty days ago neither was within 14 days of its end.
    await recordCertificateExpiry(api.db.prisma, new Date(now.getTime() - 20 * 86_400_000));
    expect(await events()).toEqual([]);
    await recordCertificateExpiry(api.db.prisma, now);
    await recordCertificateExpiry(api.db.prisma, now); // twice, as two replicas would
    const after = await events();
    expect(after.map((e) => [e.severity, e.message.replace(/ on .*/, '')]).sort()).toEqual([
      ['error', 'certificate old (old.example.com) expired'],
      ['warning', 'certificate soon (soon.example.com) expires in 10 days,'],
    ]);
    // Past its end "soon" gets its expired notice; a rotation (new version) starts its notices over.
    await recordCertificateExpiry(api.db.prisma, new Date(now.getTime() + 11 * 86_400_000));
    const tally = async () => (await events()).map((e) => `${e.severity} ${(e.data as { version: number }).version} ${e.message.split(' ')[1]}`).sort();
    expect(await tally()).toEqual(['error 1 old', 'error 1 soon', 'warning 1 soon']);
    const soonRow = (await call('viewer', 'GET', '/certificates/soon')).json;
    expect((await call('admin', 'PUT', `/certificates/${soonRow.id}`, { chain: soon.chain, key: soon.key })).json.version).toBe(2);
    await recordCertificateExpiry(api.db.prisma, now);
    expect(await tally()).toEqual(['error 1 old', 'error 1 soon', 'warning 1 soon', 'warning 2 soon']);
  });

  it('fulcrumctl certs: upload from files, list with days left, show, rotate, delete; the key is never printed', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'fulcrum-certs-cli-'));
    try {
      const files = (leaf: TestLeaf, n: string) => {
        writeFileSync(path.join(dir, `${n}.pem`), leaf.chain);
        writeFileSync(path.join(dir, `${n}.key`), leaf.key);
        return ['--cert', path.join(dir, `${n}.pem`), '--key', path.join(dir, `${n}.key`)];
      };
      const run = async (who: keyof typeof tokens, ...argv: string[]) => {
        const out: string[] = [];
        const code = await fulcrumctl(['--url', rest.base, '--token', tokens[who], ...argv], { out: (l) => out.push(l), err: (l) => out.push(l) }, {} as NodeJS.ProcessEnv);
        const text = out.join('\n');
        expect(leaks(text, ecdsa, other)).toBe(false);
        return { code, text };
      };
      expect(await run('admin', 'certs', 'upload', 'cli', ...files(ecdsa, 'a'))).toMatchObject({
        code: 0,
        text: expect.stringMatching(/uploaded certificate cli for api.example.com \(ec P-256, expires .* \(29 days\)\)/),
      });
      expect((await run('operator', 'certs', 'upload', 'cli2', ...files(ecdsa, 'a'))).code).toBe(1);
      expect((await run('admin', 'certs', 'upload', 'cli3', '--cert', path.join(dir, 'missing.pem'), '--key', path.join(dir, 'a.key'))).code).toBe(2);
      expect((await run('viewer', 'certs', 'list')).text).toMatch(/cli\s+api.example.com\s+ec P-256\s+\S+ \(29 days\)\s+1\s+-/);
      expect((await run('viewer', 'certs', 'show', 'cli')).text).toMatch(/key:\s+ec P-256 \(never shown\)/);
      expect((await run('admin', 'certs', 'rotate', 'cli', ...files(other, 'b'))).text).toMatch(/rotated certificate cli to version 2 \(other.example.com/);
      const bad = await run('admin', 'certs', 'rotate', 'cli', '--cert', path.join(dir, 'a.pem'), '--key', path.join(dir, 'b.key'));
      expect(bad.code).toBe(1);
      expect(bad.text).toMatch(/key does not belong/);
      expect((await run('admin', 'certs', 'delete', 'cli')).text).toBe('deleted certificate cli');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
