import { connect as h2connect } from 'node:http2';
import { TestPki } from '@fulcrum/test-support';
import { area, expect, shot, signIn, test, uniqueName } from '../support/fixtures';
import { bodyForHost } from '../support/traffic';
import { trpcMutation, trpcQuery } from '../support/trpc';

const httpsBody = (port: number, host: string, ca: string) => bodyForHost(port, host, { ca });

/** The same over HTTP/2 (ALPN h2): the body and the protocol the session agreed, or undefined. */
function h2Body(port: number, host: string, ca: string): Promise<{ body: string; alpn: string | false | undefined } | undefined> {
  return new Promise((resolve) => {
    const session = h2connect(`https://${host}:${port}`, { ca, servername: host, host: '127.0.0.1', port } as never);
    const done = (v: { body: string; alpn: string | false | undefined } | undefined) => {
      session.close();
      resolve(v);
    };
    session.on('error', () => done(undefined));
    session.setTimeout(5000, () => session.destroy());
    const req = session.request({ ':path': '/', ':authority': host });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => done({ body, alpn: session.alpnProtocol }));
    req.on('error', () => done(undefined));
    req.end();
  });
}

type Listener = { id: string; name: string; version: number };
type Certificate = { id: string; name: string; version: number };

area('listeners over HTTPS', () => {
  test('a certificate uploaded in the dashboard serves an https listener with two hosts routed to two pools, over HTTP/1.1 and HTTP/2', async ({ page, users, pools, backend, api }) => {
    const pki = await TestPki.create();
    const [alpha, beta] = [await backend('alpha'), await backend('beta')];
    const pa = await pools.create({ backends: [alpha] });
    const pb = await pools.create({ backends: [beta] });
    const certName = uniqueName('cert');
    const name = uniqueName('secure');
    const port = await pools.freeListenPort();
    try {
      const leaf = await pki.leaf({ names: ['a.secure.test', '*.b.secure.test'], ecdsa: true });
      await signIn(page, users.admin);
      await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Certificates' }).click();
      await page.getByRole('button', { name: 'Upload certificate' }).click();
      const form = page.getByRole('form', { name: 'Upload a certificate' });
      await form.getByLabel('Certificate name').fill(certName);
      await form.getByLabel('Certificate chain (PEM)').fill(leaf.chain);
      await form.getByLabel('Private key (PEM)').fill(leaf.key);
      await form.getByRole('button', { name: 'Upload certificate' }).click();
      await expect(page.getByRole('row').filter({ hasText: certName })).toBeVisible({ timeout: 60_000 });
      await shot(page, 'certificate-uploaded');

      const cert = (await trpcQuery<Certificate[]>(api, 'certificates.list', {})).find((c) => c.name === certName);
      expect(cert, 'the uploaded certificate is listed by the API').toBeDefined();
      await trpcMutation(api, 'listeners.create', { name, address: '127.0.0.1', port, protocol: 'https', tls: { certificateIds: [cert!.id], http2: true } });
      await trpcMutation(api, 'routes.create', { listener: name, name: 'to-a', match: { hosts: ['a.secure.test'] }, action: { type: 'pool', poolId: pa.id } });
      await trpcMutation(api, 'routes.create', { listener: name, name: 'to-b', match: { hosts: ['*.b.secure.test'] }, action: { type: 'pool', poolId: pb.id } });

      // Real requests through the local data plane: TLS verified against the test CA, SNI and Host per name.
      await expect.poll(() => httpsBody(port, 'a.secure.test', pki.ca), { timeout: 60_000, message: 'the data plane serves the https listener' }).toBe('alpha');
      await expect.poll(() => httpsBody(port, 'www.b.secure.test', pki.ca), { timeout: 60_000 }).toBe('beta');
      // A name the certificate does not cover fails verification: the client is not served on a wrong certificate.
      expect(await httpsBody(port, 'other.test', pki.ca)).toBeUndefined();
      await expect.poll(() => h2Body(port, 'www.b.secure.test', pki.ca), { timeout: 60_000 }).toEqual({ body: 'beta', alpn: 'h2' });
      expect(await h2Body(port, 'a.secure.test', pki.ca)).toEqual({ body: 'alpha', alpn: 'h2' });
    } finally {
      // The routes hold the pools and the listener holds the certificate: the listener goes first.
      const mine = (await trpcQuery<Listener[]>(api, 'listeners.list')).find((l) => l.name === name);
      if (mine) await trpcMutation(api, 'listeners.delete', { id: mine.id, expectedVersion: mine.version });
      const cert = (await trpcQuery<Certificate[]>(api, 'certificates.list', {})).find((c) => c.name === certName);
      if (cert) await trpcMutation(api, 'certificates.delete', { id: cert.id, expectedVersion: cert.version }).catch(() => undefined);
      pki.dispose();
    }
  });
});
