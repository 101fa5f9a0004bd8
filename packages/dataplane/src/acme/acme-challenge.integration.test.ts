import { request as httpRequest } from 'node:http';
import { ACME_MAX_PENDING_CHALLENGES, type TConfigSnapshotV2Input, ZBackendConfig, ZPoolConfig } from '@fulcrum/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { applyOnFreePort, dataplaneWithAccessLog, eventually, startBackend } from '../test-support';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const THUMB = 'A'.repeat(43);
const TOKEN = 'tok_en-0123456789abcdefghij';
const KEY_AUTH = `${TOKEN}.${THUMB}`;

/** A raw request (the path exactly as written: fetch would normalize `..` and `%2e`). */
function raw(port: number, method: string, target: string): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path: target, headers: { host: 'app.example.com' }, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

let version = 0;
type Routes = NonNullable<TConfigSnapshotV2Input['listeners']>[number]['routes'];
const EDGE_ROUTES: Routes = [
  { id: 'app', name: 'app', match: { path: { type: 'prefix', value: '/app' } }, action: { type: 'pool', poolId: 'web' } },
  { id: 'to-https', name: 'to-https', action: { type: 'redirect', status: 308, location: 'https://$host$request_uri' } },
];

/**
 * An http listener whose only route redirects everything to https (the common ACME case), and a
 * pool route under /app; or the routes given.
 */
async function edge(routes: Routes = EDGE_ROUTES) {
  const app = await startBackend('app');
  cleanups.push(() => app.close());
  const { dp, records } = dataplaneWithAccessLog(cleanups, 'fulcrum-acme-');
  const { listenHost: _h, listenPort: _p, ...config } = ZPoolConfig.parse({ name: 'web', listenPort: 1, healthCheck: { enabled: false } });
  const pools = [{ ...config, id: 'web', backends: [{ ...ZBackendConfig.parse({ host: '127.0.0.1', port: app.port }), id: 'web-1' }] }];
  const port = await applyOnFreePort(dp, (p): TConfigSnapshotV2Input => {
    version++;
    return {
      schema: 2,
      version,
      hash: `acme-${version}`,
      pools,
      listeners: [
        {
          id: 'edge-id',
          name: 'edge',
          address: '127.0.0.1',
          port: p,
          routes,
        },
      ],
    };
  });
  return { dp, port, records };
}

describe('ACME HTTP-01 challenges on http listeners', () => {
  it('answers a known token with its key authorization before the redirect-to-https route, counted and logged as the listener’s answer', async () => {
    const { dp, port, records } = await edge();
    expect((await raw(port, 'GET', `/.well-known/acme-challenge/${TOKEN}`)).status).toBe(308); // nothing pending yet
    expect(dp.acme.replace({ seq: 3, challenges: [{ token: TOKEN, keyAuthorization: KEY_AUTH }] })).toEqual({ ok: true, seq: 3 });
    dp.collectFrame();
    const got = await raw(port, 'GET', `/.well-known/acme-challenge/${TOKEN}`);
    expect(got).toMatchObject({ status: 200, body: KEY_AUTH });
    expect(got.headers['content-type']).toBe('text/plain');
    const head = await raw(port, 'HEAD', `/.well-known/acme-challenge/${TOKEN}`);
    expect(head).toMatchObject({ status: 200, body: '' });
    // The query is not part of the token.
    expect((await raw(port, 'GET', `/.well-known/acme-challenge/${TOKEN}?x=1`)).body).toBe(KEY_AUTH);
    expect(dp.collectFrame().listeners).toEqual([{ listenerId: 'edge-id', responses: { '1xx': 0, '2xx': 3, '3xx': 0, '4xx': 0, '5xx': 0 }, answers: { acme_challenge: 3 } }]);
    // Lines reach the file when the writer flushes (64 KiB or 100 ms): wait for them.
    const logged = () => records().filter((r) => r.path.startsWith('/.well-known/'));
    await eventually(() => logged().length >= 4);
    expect(logged().map((r) => r.status)).toEqual([308, 200, 200, 200]);
  });

  it('answers a known token on a listener whose one route takes every request to a pool (a pool’s own listener)', async () => {
    const { dp, port } = await edge([{ id: 'all', name: 'all', action: { type: 'pool', poolId: 'web' } }]);
    const proxied = await raw(port, 'GET', `/.well-known/acme-challenge/${TOKEN}`);
    expect(proxied.status).toBe(200);
    expect(proxied.body).not.toBe(KEY_AUTH); // nothing pending: the backend answers
    dp.acme.replace({ seq: 1, challenges: [{ token: TOKEN, keyAuthorization: KEY_AUTH }] });
    expect(await raw(port, 'GET', `/.well-known/acme-challenge/${TOKEN}`)).toMatchObject({ status: 200, body: KEY_AUTH });
    expect((await raw(port, 'GET', '/anything')).body).toBe(proxied.body.replace(`/.well-known/acme-challenge/${TOKEN}`, '/anything'));
  });

  it('lets unknown tokens, other methods and other paths fall through to the routes', async () => {
    const { dp, port } = await edge();
    dp.acme.replace({ seq: 1, challenges: [{ token: TOKEN, keyAuthorization: KEY_AUTH }] });
    expect((await raw(port, 'GET', '/.well-known/acme-challenge/someOtherToken_123456')).status).toBe(308);
    expect((await raw(port, 'POST', `/.well-known/acme-challenge/${TOKEN}`)).status).toBe(308);
    expect((await raw(port, 'GET', `/.well-known/acme-challenge/${TOKEN}/`)).status).toBe(308);
    expect((await raw(port, 'GET', `/.well-known/acme-challenge/${TOKEN}extra`)).status).toBe(308);
    expect((await raw(port, 'GET', `/.well-known/acme-challenge/`)).status).toBe(308);
    expect((await raw(port, 'GET', `/x/.well-known/acme-challenge/${TOKEN}`)).status).toBe(308);
    expect((await raw(port, 'GET', '/app/x')).body).toBe('app');
    // Taken off: no longer answered.
    dp.acme.replace({ seq: 2, challenges: [] });
    expect((await raw(port, 'GET', `/.well-known/acme-challenge/${TOKEN}`)).status).toBe(308);
  });

  it('refuses a set holding a token with path characters, or too many tokens, whole, and keeps answering the set it had', async () => {
    const { dp, port } = await edge();
    dp.acme.replace({ seq: 1, challenges: [{ token: TOKEN, keyAuthorization: KEY_AUTH }] });
    const hostile = ['../../etc/passwd_xxxxxxxx', 'abc%2fdef0123456789abc', 'abc/def0123456789abcdef', 'abc.def0123456789abcdef', 'abcdef0123456789abcdé', 'short'];
    for (const token of hostile) {
      const r = dp.acme.replace({ seq: 2, challenges: [{ token, keyAuthorization: `${token}.${THUMB}` }] });
      expect(r.ok, token).toBe(false);
      if (!r.ok) expect(r.error).toMatch(/token/);
    }
    // A key authorization that does not belong to its token, or carries more than base64url.
    expect(dp.acme.replace({ seq: 2, challenges: [{ token: 'x'.repeat(22), keyAuthorization: KEY_AUTH }] }).ok).toBe(false);
    expect(dp.acme.replace({ seq: 2, challenges: [{ token: TOKEN, keyAuthorization: `${KEY_AUTH}\r\nX-Evil: 1` }] }).ok).toBe(false);
    const many = Array.from({ length: ACME_MAX_PENDING_CHALLENGES + 1 }, (_, i) => {
      const token = `t${String(i).padStart(21, '0')}`;
      return { token, keyAuthorization: `${token}.${THUMB}` };
    });
    const tooMany = dp.acme.replace({ seq: 2, challenges: many });
    expect(tooMany).toMatchObject({ ok: false, error: expect.stringMatching(/at most 1000/) });
    expect(dp.acme.seq).toBe(1);
    expect((await raw(port, 'GET', `/.well-known/acme-challenge/${TOKEN}`)).body).toBe(KEY_AUTH);
    // The bound itself is accepted, and each of them answered.
    expect(dp.acme.replace({ seq: 9, challenges: many.slice(0, ACME_MAX_PENDING_CHALLENGES) }).ok).toBe(true);
    expect((await raw(port, 'GET', `/.well-known/acme-challenge/${many[999]!.token}`)).body).toBe(many[999]!.keyAuthorization);
    expect((await raw(port, 'GET', `/.well-known/acme-challenge/${TOKEN}`)).status).toBe(308);
  });
});
