import { area, expect, openPoolSection, shot, signIn, signedInElsewhere, test, uniqueName } from '../support/fixtures';
import { trpcQuery } from '../support/trpc';

area('users, sessions and tokens', () => {
  test('signing out ends the session; signing in works from the keyboard alone', async ({ page, users }) => {
    await page.goto('/login');
    await page.getByLabel('Email').focus();
    await page.keyboard.type(users.admin.email);
    await page.keyboard.press('Tab');
    await page.keyboard.type(users.admin.password);
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { name: 'Pools' })).toBeVisible();
    await shot(page, 'overview');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await expect(page).toHaveURL(/\/login$/);
    expect((await trpcQuery<{ user: unknown }>(page.request, 'auth.status')).user).toBeNull();
    await page.goto('/revisions');
    await expect(page).toHaveURL(/\/login$/);
    await page.getByLabel('Email').fill(users.admin.email);
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.locator('form .error')).toBeVisible();
    await expect(page).toHaveURL(/\/login$/);
  });

  test('a viewer sees everything and can change nothing', async ({ page, browser, users, pools, backend }) => {
    const b = await backend('one');
    const pool = await pools.create({ backends: [b] });
    // A viewer of its own, created in the browser (users.create refuses a second one with the same email).
    const viewer = { email: `${uniqueName('viewer')}@example.com`, name: 'Vic Viewer', password: 'viewer password 1' };
    await signIn(page, users.admin);
    await page.getByRole('link', { name: 'Settings' }).click();
    const invite = page.locator('form.inline-form').first();
    await invite.getByLabel('Email').fill(viewer.email);
    await invite.getByLabel('Name').fill(viewer.name);
    await invite.getByLabel('Initial password').fill(viewer.password);
    await invite.getByLabel('Role').selectOption('viewer');
    await invite.getByRole('button', { name: 'Create user' }).click();
    await expect(page.getByRole('cell', { name: viewer.email })).toBeVisible();
    await shot(page, 'settings');

    await signedInElsewhere(browser, viewer, async (viewerPage) => {
      await expect(viewerPage.getByRole('button', { name: 'New pool' })).toBeDisabled();
      await viewerPage.getByRole('row').getByRole('link', { name: pool.name, exact: true }).click();
      await openPoolSection(viewerPage, 'Config');
      await expect(viewerPage.getByRole('button', { name: 'Edit', exact: true })).toBeDisabled();
      await expect(viewerPage.getByRole('button', { name: 'Save pool' })).toBeDisabled();
      await openPoolSection(viewerPage, 'Backends');
      await expect(viewerPage.getByRole('button', { name: 'Add backend' })).toBeDisabled();
      await expect(viewerPage.locator(`tr[data-backend="${b.addr}"]`).getByRole('button', { name: 'Drain' })).toBeDisabled();
      // The server enforces it as well.
      const res = await viewerPage.request.post('/api/trpc/pools.create', { data: { name: uniqueName('sneaky'), listenPort: 18999 } });
      expect(res.status()).toBe(403);
    });
  });

  test('an API token is shown once, works over REST, and a viewer token cannot write', async ({ page, users, pools }) => {
    const pool = await pools.create();
    const tokenName = uniqueName('read-only-script');
    await signIn(page, users.admin);
    await page.getByRole('link', { name: 'Settings' }).click();
    const tokenForm = page.locator('form.inline-form').nth(1);
    await tokenForm.getByLabel('Token name').fill(tokenName);
    await tokenForm.getByLabel('Role').selectOption('viewer');
    await tokenForm.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.getByTestId('new-token').textContent())!.trim();
    expect(token.length).toBeGreaterThan(20);
    await page.getByRole('button', { name: 'Done' }).click();
    await expect(page.getByTestId('new-token')).toHaveCount(0);
    await expect(page.getByRole('cell', { name: tokenName })).toBeVisible();
    await expect(page.getByText(token)).toHaveCount(0);

    const headers = { authorization: `Bearer ${token}` };
    const list = await page.request.get('/api/v1/pools', { headers });
    expect(list.status()).toBe(200);
    expect(((await list.json()) as { name: string }[]).map((p) => p.name)).toContain(pool.name);
    const write = await page.request.post('/api/v1/pools', { headers, data: { name: uniqueName('sneaky'), listenPort: 18998 } });
    expect(write.status()).toBe(403);
    expect((await page.request.get('/api/v1/pools', { headers: { authorization: 'Bearer flc_not-a-token' } })).status()).toBe(401);
  });
});
