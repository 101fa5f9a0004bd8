import { request as httpRequest } from 'node:http';
import { TestPki } from '@fulcrum/test-support';
import { area, expect, signIn, test, uniqueName } from '../support/fixtures';
import { trpcMutation, trpcQuery } from '../support/trpc';

/** One plain GET to a port: its status, or undefined when it failed. */
function statusOf(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port, path: '/nothing-here', timeout: 5000 }, (res) => (res.resume(), resolve(res.statusCode)));
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

type Listener = { id: string; name: string; version: number; protocol: string; tls?: { certificateIds: string[]; minVersion: string; http2: boolean } };

area('listeners: TLS fields and own answers', () => {
  test('an https listener made in the dashboard: certificates from the list, minimum TLS version; a missing certificate is refused beside the list', async ({ page, users, pools, api }, testInfo) => {
    const pki = await TestPki.create();
    const certName = uniqueName('cert');
    const name = uniqueName('tls');
    try {
      const leaf = await pki.leaf({ names: ['secure.example.test'] });
      const cert = await trpcMutation<{ id: string; version: number }>(api, 'certificates.upload', { name: certName, chain: leaf.chain, key: leaf.key });
      await signIn(page, users.admin);
      await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Listeners' }).click();
      const form = page.getByRole('form', { name: 'New listener' });
      await form.getByLabel('Name').fill(name);
      await form.getByLabel('Port').fill(String(await pools.freeListenPort()));
      await form.getByLabel('Address').fill('127.0.0.1');
      await form.getByLabel('Protocol').selectOption('https');
      await expect(form.getByRole('group', { name: 'Certificates' }).getByText(certName)).toBeVisible();
      await expect(form.getByLabel('HTTP/2 (ALPN h2)')).toBeVisible();
      // Not on 443: the redirect would send clients to the wrong port, so it is offered only there.
      await expect(form.getByLabel('Also redirect plain HTTP here')).toBeDisabled();
      await form.getByRole('button', { name: 'Create listener' }).click();
      await expect(form.locator('[data-field="tls.certificateIds"] .field-error')).toContainText('needs at least one certificate');
      await testInfo.attach('listener-tls-refused', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });

      await form.getByRole('group', { name: 'Certificates' }).getByLabel(new RegExp(certName)).check();
      await form.getByLabel('Minimum TLS version').selectOption('TLSv1.3');
      await form.getByRole('button', { name: 'Create listener' }).click();
      await expect(page.getByRole('heading', { name: new RegExp(`^${name}`) })).toBeVisible();
      const made = await trpcQuery<Listener>(api, 'listeners.get', { id: name });
      expect(made.protocol).toBe('https');
      expect(made.tls).toMatchObject({ certificateIds: [cert.id], minVersion: 'TLSv1.3', http2: false });
      await trpcMutation(api, 'listeners.delete', { id: made.id, expectedVersion: made.version });
      const certs = await trpcQuery<{ id: string; version: number }[]>(api, 'certificates.list', {});
      const mine = certs.find((c) => c.id === cert.id);
      if (mine) await trpcMutation(api, 'certificates.delete', { id: mine.id, expectedVersion: mine.version }).catch(() => undefined);
    } finally {
      pki.dispose();
    }
  });

  test("a listener's own answers (404 no route) show on the Listeners page, per second", async ({ page, users, pools, api }, testInfo) => {
    const name = uniqueName('bare');
    const port = await pools.freeListenPort();
    const made = await trpcMutation<Listener>(api, 'listeners.create', { name, port, address: '127.0.0.1' });
    try {
      // No routes: every request is the listener's own 404. Keep asking while the page watches.
      await expect.poll(() => statusOf(port), { timeout: 60_000 }).toBe(404);
      await signIn(page, users.admin);
      await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Listeners' }).click();
      const cell = page.locator(`[data-answers="${name}"]`);
      await expect(async () => {
        await Promise.all(Array.from({ length: 5 }, () => statusOf(port)));
        await expect(cell).toContainText('× no route matched (404)', { timeout: 3_000 });
      }).toPass({ timeout: 60_000 });
      await testInfo.attach('listener-answers', { body: await page.screenshot({ fullPage: true }), contentType: 'image/png' });
    } finally {
      const current = await trpcQuery<Listener>(api, 'listeners.get', { id: made.id });
      await trpcMutation(api, 'listeners.delete', { id: current.id, expectedVersion: current.version });
    }
  });
});
