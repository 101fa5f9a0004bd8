import { stopTestServer } from '@fulcrum/db/testing';
import { LOCK_ID } from '@fulcrum/db';
import { TestPki } from '@fulcrum/test-support';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlPlaneSecrets } from '../../secrets/control-plane-secrets';
import { type TestApi, createTestApi, startRestServer, trpcFailure } from '../../test-support';
import { publishAcmeChallenge } from './acme-challenges';
import { installAcmeHttp } from './acme-http';
import { AcmeRenewer } from './acme-renewer';
import { startFakeAcme } from './fake-acme-server';

/**
 * What a hostile, broken or silent CA can do to the control plane: every failure is a clear
 * error naming the CA's side of it (never a stack or acme-client's internals), bounded in time,
 * stores nothing half-done, and leaks no key.
 */
let t: TestApi;
let pki: TestPki;
const closers: (() => Promise<unknown>)[] = [];
// Short, so a silent CA fails within the bound below; long enough that a loaded machine's
// answers from the fake CA (a TLS handshake each) never time out first.
const REQUEST_TIMEOUT_MS = 5000;

beforeAll(async () => {
  t = await createTestApi();
  pki = await TestPki.create();
  installAcmeHttp({ requestTimeoutMs: REQUEST_TIMEOUT_MS });
}, 60_000);

afterAll(async () => {
  for (const c of closers) await c();
  pki?.dispose();
  await t?.db.drop();
  await stopTestServer();
});

const STACK = /\n|\s+at\s+\S+\s+\(|TypeError|Cannot read/;

describe('a hostile or broken ACME directory', () => {
  it.each([
    ['html', /Unable to locate API resource URL in ACME directory/],
    ['plain-http', /not https:\/\//],
    ['huge', /maxContentLength/],
    ['silent', new RegExp(`timeout of ${REQUEST_TIMEOUT_MS}ms exceeded`)],
  ] as const)('%s: the account is refused with the reason, in bounded time, and nothing is stored', async (mode, reason) => {
    const fake = await startFakeAcme(mode);
    closers.push(fake.close);
    const admin = await t.as('admin');
    const started = Date.now();
    const failure = await trpcFailure(admin.acme.createAccount({ name: `bad-${mode}`, directoryUrl: fake.directoryUrl, email: 'ops@example.com', termsAgreed: true, directoryCa: fake.ca }));
    // One timed-out request, or a few quick ones: never acme-client's default minutes of retries.
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(failure.code).toBe('SERVICE_UNAVAILABLE');
    expect(failure.message).toMatch(reason);
    expect(failure.message).not.toMatch(STACK);
    expect(await t.db.prisma.acmeAccount.count({ where: { name: `bad-${mode}` } })).toBe(0);
  });

  it('refuses a directory over plain http, terms not agreed, and a directory CA that is not PEM, naming the field', async () => {
    const admin = await t.as('admin');
    const base = { name: 'x', directoryUrl: 'https://acme.example/dir', email: 'ops@example.com', termsAgreed: true as const };
    expect((await trpcFailure(admin.acme.createAccount({ ...base, directoryUrl: 'http://acme.example/dir' }))).fields).toHaveProperty('directoryUrl');
    expect((await trpcFailure(admin.acme.createAccount({ ...base, termsAgreed: false as never }))).fields).toHaveProperty('termsAgreed');
    expect((await trpcFailure(admin.acme.createAccount({ ...base, directoryCa: 'hello' }))).fields).toHaveProperty('directoryCa');
    expect((await trpcFailure(admin.acme.issue({ name: 'w', account: 'x', hosts: ['*.example.com'] }))).fields).toHaveProperty(['hosts.0']);
    expect((await trpcFailure((await t.as('operator')).acme.createAccount(base))).code).toBe('FORBIDDEN');
  });
});

describe('a challenge the CA hands out', () => {
  it.each(['../../../../etc/passwd_aaaa', 'abc/def/0123456789abcdef', '%2e%2e%2f0123456789abcdef', 'tok en 0123456789abcdef'])(
    'with token %j is refused before any data plane sees it; the order fails with the reason as an event',
    async (token) => {
      const fake = await startFakeAcme(`bad-token:${token}`);
      closers.push(fake.close);
      const admin = await t.as('admin');
      const name = `tok-${fake.directoryUrl.split(':')[2]!.split('/')[0]}`;
      await admin.acme.createAccount({ name, directoryUrl: fake.directoryUrl, email: 'ops@example.com', termsAgreed: true, directoryCa: fake.ca });
      const failure = await trpcFailure(admin.acme.issue({ name: `${name}-cert`, account: name, hosts: ['app.example.com'] }));
      expect(failure.code).toBe('SERVICE_UNAVAILABLE');
      expect(failure.message).toMatch(/will not serve: an ACME token is base64url/);
      expect(await t.db.prisma.acmeChallenge.count()).toBe(0);
      expect(await t.db.prisma.certificate.count({ where: { name: `${name}-cert` } })).toBe(0);
      const event = await t.db.prisma.event.findFirst({ where: { kind: 'certificate_acme', severity: 'error', message: { contains: `${name}-cert` } } });
      expect(event?.message).toMatch(/failed: the CA sent a challenge this control plane will not serve/);
      expect(event?.message).not.toMatch(STACK);
    },
  );

  it('holds at most 1000 pending challenges: the next is refused with TOO_MANY_REQUESTS, and expired ones make room', async () => {
    const thumb = 'B'.repeat(43);
    const rows = Array.from({ length: 999 }, (_, i) => {
      const token = `bulk${String(i).padStart(20, '0')}`;
      return { token, keyAuthorization: `${token}.${thumb}`, expiresAt: new Date(Date.now() + 600_000) };
    });
    await t.db.prisma.acmeChallenge.createMany({ data: rows });
    const token = 'last0000000000000000000000';
    expect(await publishAcmeChallenge(t.db.prisma, { token, keyAuthorization: `${token}.${thumb}` })).toBeGreaterThan(0);
    const over = 'over0000000000000000000000';
    await expect(publishAcmeChallenge(t.db.prisma, { token: over, keyAuthorization: `${over}.${thumb}` })).rejects.toMatchObject({
      code: 'TOO_MANY_REQUESTS',
      message: /1000 ACME challenges are pending/,
    });
    await t.db.prisma.acmeChallenge.updateMany({ where: { token: { startsWith: 'bulk' } }, data: { expiresAt: new Date(Date.now() - 1000) } });
    await publishAcmeChallenge(t.db.prisma, { token: over, keyAuthorization: `${over}.${thumb}` });
    expect(await t.db.prisma.acmeChallenge.count()).toBe(2);
    await t.db.prisma.acmeChallenge.deleteMany({});
  });
});

describe('renewal against a CA that refuses', () => {
  it('records the CA’s reason on the certificate and as an event, backs off doubling, runs on one replica at a time, and never shows a key', async () => {
    const fake = await startFakeAcme('problem');
    closers.push(fake.close);
    const admin = await t.as('admin');
    const account = await admin.acme.createAccount({ name: 'refuser', directoryUrl: fake.directoryUrl, email: 'ops@example.com', termsAgreed: true, directoryCa: fake.ca });
    // A certificate the account manages (as if issued earlier), due in 10 days.
    const leaf = await pki.leaf({ names: ['app.example.com'], ecdsa: true, days: 10 });
    const cert = await admin.certificates.upload({ name: 'app', chain: leaf.chain, key: leaf.key });
    await t.db.prisma.certificate.update({ where: { id: cert.id }, data: { acmeAccountId: account.id } });
    const logs: string[] = [];
    let now = new Date();
    const BASE = 60_000;
    const renewer = new AcmeRenewer(t.db.prisma, { databaseUrl: t.db.url, now: () => now, retryBaseMs: BASE, log: (l) => logs.push(l) });

    const first = await renewer.renewDue();
    expect(first).toMatchObject({ ran: true, outcomes: [{ certificate: 'app', outcome: { renewed: false, error: 'Error creating new order :: policy forbids issuing for "app.example.com"' } }] });
    let row = await t.db.prisma.certificate.findUniqueOrThrow({ where: { id: cert.id } });
    expect(row).toMatchObject({ acmeFailures: 1, acmeLastError: expect.stringMatching(/policy forbids/), version: cert.version });
    expect(row.acmeNextAttemptAt!.getTime()).toBe(now.getTime() + BASE);
    // Within the backoff: nothing is ordered.
    const hits = fake.hits.length;
    expect(await renewer.renewDue()).toEqual({ ran: true, outcomes: [] });
    expect(fake.hits.length).toBe(hits);
    // After it: tried again, and the next wait doubles.
    now = new Date(now.getTime() + BASE);
    expect((await renewer.renewDue()).ran).toBe(true);
    row = await t.db.prisma.certificate.findUniqueOrThrow({ where: { id: cert.id } });
    expect(row.acmeFailures).toBe(2);
    expect(row.acmeNextAttemptAt!.getTime()).toBe(now.getTime() + 2 * BASE);
    const shown = await admin.certificates.get({ id: 'app' });
    expect(shown.acme).toMatchObject({ account: 'refuser', failures: 2, lastError: expect.stringMatching(/policy forbids/), renewAfter: row.acmeNextAttemptAt!.toISOString() });

    // Another replica holds the renewal lock: this one skips the pass.
    const other = new pg.Client({ connectionString: t.db.url });
    await other.connect();
    await other.query('SELECT pg_advisory_lock($1)', [LOCK_ID.acmeRenewal]);
    now = new Date(now.getTime() + 10 * BASE);
    expect(await renewer.renewDue()).toEqual({ ran: false, reason: 'another replica is renewing' });
    await other.end();

    const events = await t.db.prisma.event.findMany({ where: { kind: 'certificate_acme', message: { contains: 'renewing certificate app' } } });
    expect(events).toHaveLength(2);
    expect(events[0]!.message).toMatch(/failed \(1 in a row; next try .*\): Error creating new order :: policy forbids/);
    expect(events[0]!.severity).toBe('warning');

    // No key anywhere an operator or a log reader looks: API (tRPC and REST), events, logs.
    const accountRow = await t.db.prisma.acmeAccount.findUniqueOrThrow({ where: { id: account.id } });
    const accountKey = controlPlaneSecrets().open(accountRow.keySealed, `acme-account:${account.id}:key`);
    const keyBodies = [accountKey, leaf.key].map((k) => k.split('\n')[1]!);
    const rest = await startRestServer(t);
    closers.push(rest.close);
    const viaRest = await (await fetch(`${rest.base}/acme/accounts`, { headers: { authorization: `Bearer ${await t.token('admin')}` } })).text();
    const everything = [
      JSON.stringify(await admin.acme.accounts({})),
      viaRest,
      JSON.stringify(await admin.certificates.list({})),
      JSON.stringify(await t.db.prisma.event.findMany()),
      logs.join('\n'),
    ].join('\n');
    expect(viaRest).toContain('refuser');
    for (const body of keyBodies) expect(everything).not.toContain(body);
    expect(everything).not.toMatch(/PRIVATE KEY/);
  });
});
