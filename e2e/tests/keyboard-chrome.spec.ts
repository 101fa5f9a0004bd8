import { area, expect, openPoolSection, signIn, test, uniqueName } from '../support/fixtures';

/** Keyboard use and the browser's chrome: skip link, two-step buttons that keep focus, Escape, titles, the icon, copying a new token. */
area('keyboard and chrome', () => {
  test('the first Tab offers a skip link past the navigation', async ({ page, users }) => {
    await signIn(page, users.admin);
    await page.goto('/listeners');
    await expect(page).toHaveTitle('Listeners · Fulcrum');
    await page.keyboard.press('Tab');
    const skip = page.getByRole('link', { name: 'Skip to content' });
    await expect(skip).toBeFocused();
    await expect(skip).toBeInViewport();
    await page.keyboard.press('Enter');
    await expect(page.locator('main#main')).toBeFocused();
  });

  test('two-step buttons keep focus on the confirm button; Escape and Cancel give it back and run nothing', async ({ page, users, pools, backend }, testInfo) => {
    const b = await backend('one');
    const pool = await pools.create({ backends: [b] });
    await signIn(page, users.admin);
    await page.goto(`/pools/${pool.id}?section=backends`);
    const row = page.locator(`tr[data-backend="${b.addr}"]`);
    await row.getByRole('button', { name: 'Remove' }).click();
    const confirm = row.getByRole('button', { name: 'Remove for good' });
    await expect(confirm).toBeFocused();
    await testInfo.attach('confirm-focused', { body: await page.screenshot(), contentType: 'image/png' });
    await page.keyboard.press('Escape');
    await expect(confirm).toHaveCount(0);
    await expect(row.getByRole('button', { name: 'Remove' })).toBeFocused();
    await expect(row).toBeVisible();

    // From the keyboard alone: Enter asks, Tab to Cancel, Enter cancels, focus back on the first button.
    const del = page.getByRole('button', { name: 'Delete pool' });
    await del.focus();
    await page.keyboard.press('Enter');
    await expect(page.getByRole('button', { name: `Delete ${pool.name}` })).toBeFocused();
    await page.keyboard.press('Tab');
    await expect(page.getByRole('button', { name: 'Cancel' })).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(del).toBeFocused();
    await openPoolSection(page, 'Overview');
    await expect(page.getByRole('heading', { name: pool.name })).toBeVisible();
  });

  test('the icon is served (no 404 for /favicon.ico) and pages have their own titles', async ({ page, users }) => {
    const ico = await page.request.get('/favicon.ico');
    expect(ico.status()).toBe(200);
    expect(ico.headers()['content-type']).toMatch(/icon/);
    const svg = await page.request.get('/icon.svg');
    expect(svg.status()).toBe(200);
    await signIn(page, users.admin);
    await expect(page).toHaveTitle('Pools · Fulcrum');
    await expect(page.locator('link[rel="icon"]').first()).toHaveAttribute('href', /icon|favicon/);
    for (const [link, title] of [
      ['Data planes', 'Data planes · Fulcrum'],
      ['Revisions', 'Revisions · Fulcrum'],
      ['Settings', 'Settings · Fulcrum'],
    ] as const) {
      await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: link }).click();
      await expect(page).toHaveTitle(title);
    }
  });

  test('a new token has a Copy button that puts it on the clipboard', async ({ page, context, users }, testInfo) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    await signIn(page, users.admin);
    await page.getByRole('navigation', { name: 'main' }).getByRole('link', { name: 'Settings' }).click();
    const tokenForm = page.locator('form.inline-form').nth(1);
    await tokenForm.getByLabel('Token name').fill(uniqueName('copied'));
    await tokenForm.getByLabel('Role').selectOption('viewer');
    await tokenForm.getByRole('button', { name: 'Create token' }).click();
    const token = (await page.getByTestId('new-token').textContent())!.trim();
    await page.getByRole('button', { name: 'Copy', exact: true }).click();
    await expect(page.getByRole('button', { name: 'Copied' })).toBeVisible();
    await testInfo.attach('token-copied', { body: await page.screenshot(), contentType: 'image/png' });
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);
    await page.getByRole('button', { name: 'Done' }).click();
  });
});
