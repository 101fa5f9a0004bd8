import { type Server, createServer } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { TestPki } from '@fulcrum/test-support';

/**
 * A hostile or broken ACME server for tests, over real HTTPS (a certificate for `localhost` from
 * a throwaway CA): it speaks just enough RFC 8555 for acme-client to reach the step under test,
 * and signs nothing (clients do not check a CA's answers by signature).
 * - `html`: the directory is an HTML page.
 * - `plain-http`: the directory sends every request to http:// URLs.
 * - `huge`: the directory never ends (bytes until the client stops reading).
 * - `silent`: accepts connections and never answers.
 * - `bad-token:<token>`: registers accounts and takes orders, then offers an http-01 challenge with that token.
 * - `problem`: registers accounts, then refuses every order with an ACME problem document.
 */
export type FakeAcmeMode = 'html' | 'plain-http' | 'huge' | 'silent' | 'problem' | `bad-token:${string}`;

export interface FakeAcme {
  directoryUrl: string;
  ca: string;
  /** Requests received, by path. */
  hits: string[];
  close(): Promise<void>;
}

export async function startFakeAcme(mode: FakeAcmeMode): Promise<FakeAcme> {
  const pki = await TestPki.create();
  const leaf = await pki.leaf({ names: ['localhost'], ecdsa: true, days: 2 });
  const hits: string[] = [];
  let base = '';
  let nonce = 0;
  const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', 'replay-nonce': `n${++nonce}`, ...headers });
    res.end(JSON.stringify(body));
  };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    hits.push(req.url ?? '');
    req.resume();
    if (mode === 'silent') return; // never answers
    if (req.url === '/dir') {
      if (mode === 'html') {
        res.writeHead(200, { 'content-type': 'text/html' });
        return res.end('<html><body>not an ACME server</body></html>');
      }
      if (mode === 'huge') {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        res.write('{"x":"');
        return pump();
      }
      const root = mode === 'plain-http' ? base.replace('https://', 'http://') : base;
      return json(res, 200, { newNonce: `${root}/nonce`, newAccount: `${root}/account`, newOrder: `${root}/order`, revokeCert: `${root}/revoke`, keyChange: `${root}/key-change` });
    }
    if (req.url === '/nonce') {
      res.writeHead(200, { 'replay-nonce': `n${++nonce}`, 'cache-control': 'no-store' });
      return res.end();
    }
    if (req.url === '/account') return json(res, 201, { status: 'valid', contact: [] }, { location: `${base}/account/1` });
    if (req.url === '/order') {
      if (mode === 'problem')
        return json(res, 403, { type: 'urn:ietf:params:acme:error:rejectedIdentifier', detail: 'Error creating new order :: policy forbids issuing for "app.example.com"', status: 403 });
      return json(
        res,
        201,
        { status: 'pending', identifiers: [{ type: 'dns', value: 'app.example.com' }], authorizations: [`${base}/authz/1`], finalize: `${base}/finalize/1` },
        { location: `${base}/order/1` },
      );
    }
    if (req.url === '/authz/1') {
      const token = mode.startsWith('bad-token:') ? mode.slice('bad-token:'.length) : 'x';
      return json(res, 200, { status: 'pending', identifier: { type: 'dns', value: 'app.example.com' }, challenges: [{ type: 'http-01', url: `${base}/chall/1`, token, status: 'pending' }] });
    }
    return json(res, 404, { type: 'urn:ietf:params:acme:error:malformed', detail: 'not here', status: 404 });
  };
  const server: Server = createServer({ cert: leaf.chain, key: leaf.key }, handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `https://localhost:${(server.address() as { port: number }).port}`;
  return {
    directoryUrl: `${base}/dir`,
    ca: pki.ca,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      pki.dispose();
    },
  };
}
