import { area, expect, shot, signIn, test, uniqueName } from '../support/fixtures';
import { bodyForHost } from '../support/traffic';
import { trpcMutation, trpcQuery } from '../support/trpc';

const bodyFor = (port: number, host: string) => bodyForHost(port, host);

area('listeners and routes', () => {
  test('one listener, two hosts, two pools: built in the dashboard, tested there, and served to real requests', async ({ page, users, pools, backend, api }) => {
    const [alpha, beta] = [await backend('alpha'), await backend('beta')];
    const pa = await pools.create({ backends: [alpha] });
    const pb = await pools.create({ backends: [beta] });
    const name = uniqueName('edge');
    const port = await pools.freeListenPort();
    try {
      await signIn(page, users.admin);
      await page.getByRole('link', { name: 'Listeners' }).click();
      const form = page.getByRole('form', { name: 'New listener' });
      await form.getByLabel('Name').fill(name);
      await form.getByLabel('Port').fill(String(port));
      await form.getByLabel('Address').fill('127.0.0.1');
      await form.getByRole('button', { name: 'Create listener' }).click();
      await expect(page.getByRole('heading', { name: new RegExp(`^${name}`) })).toBeVisible();
      await expect(page.getByText('No routes: every request gets 404.')).toBeVisible();

      for (const [route, host, pool] of [
        ['to-a', 'a.example.test', pa],
        ['to-b', '*.b.example.test', pb],
      ] as const) {
        const routeForm = page.getByRole('form', { name: 'Add route' });
        await routeForm.getByLabel('Route name').fill(route);
        await routeForm.getByLabel('Hosts').fill(host);
        await routeForm.locator('select[name="action.poolId"]').selectOption({ label: pool.name });
        await routeForm.getByRole('button', { name: 'Add route' }).click();
        await expect(page.locator(`tr[data-route="${route}"]`)).toBeVisible();
      }
      // Match order: the exact host before the wildcard.
      const table = page.getByRole('table', { name: 'routes in match order' });
      await expect(table.locator('tbody tr')).toHaveCount(2);
      await expect(table.locator('tbody tr').nth(0)).toContainText('a.example.test');
      await expect(table.locator('tbody tr').nth(0)).toContainText(`pool ${pa.name}`);
      await expect(table.locator('tbody tr').nth(1)).toContainText('*.b.example.test');

      const tester = page.getByRole('form', { name: 'Test a URL' });
      await tester.getByLabel('URL').fill('http://www.b.example.test/x');
      await tester.getByRole('button', { name: 'Test' }).click();
      await expect(page.getByTestId('route-answer')).toContainText('Takes route to-b');
      await expect(page.getByTestId('route-answer')).toContainText('host www.b.example.test is not a.example.test');
      await tester.getByLabel('URL').fill('http://c.example.test/');
      await tester.getByRole('button', { name: 'Test' }).click();
      await expect(page.getByTestId('route-answer')).toContainText('No route matches');
      await shot(page, 'listener-routes');

      // Real requests through the local data plane, by Host.
      await expect.poll(() => bodyFor(port, 'a.example.test'), { timeout: 60_000, message: 'the data plane serves the new listener' }).toBe('alpha');
      // Each route was its own revision: the one with to-a can be served before the one with to-b.
      await expect.poll(() => bodyFor(port, 'www.b.example.test'), { timeout: 60_000, message: 'the data plane serves route to-b' }).toBe('beta');
      expect(await bodyFor(port, 'A.Example.Test:80')).toBe('alpha');
      expect(await bodyFor(port, 'c.example.test')).toBe('no route for this request\n');
    } finally {
      // The routes hold the pools: the listener goes first so that the pools fixture can delete them.
      const mine = (await trpcQuery<{ id: string; name: string; version: number }[]>(api, 'listeners.list')).find((l) => l.name === name);
      if (mine) await trpcMutation(api, 'listeners.delete', { id: mine.id, expectedVersion: mine.version });
    }
  });
});
