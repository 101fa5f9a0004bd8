import { startControlPlane } from '../support/control-plane';
import { ADMIN, area, expect, shot, test } from '../support/fixtures';

area('first run', () => {
  // Against a control plane of its own, fresh and never set up, whatever ran before on the shared one.
  test('first run asks for the first admin, then signs them in', async ({ page }) => {
    test.setTimeout(480_000);
    const cp = await startControlPlane();
    try {
      await page.goto(`${cp.url}/`);
      await expect(page).toHaveURL(/\/setup$/);
      await shot(page, 'setup');
      await page.getByLabel('Name').fill(ADMIN.name);
      await page.getByLabel('Email').fill(ADMIN.email);
      await page.getByLabel('Password').fill('short');
      await page.getByRole('button', { name: 'Create admin' }).click();
      await expect(page.locator('[data-field="password"] .field-error')).toContainText('at least 8');
      await page.getByLabel('Password').fill(ADMIN.password);
      await page.getByRole('button', { name: 'Create admin' }).click();
      await expect(page.getByRole('heading', { name: 'Pools' })).toBeVisible();
      await expect(page.getByText('No pools yet')).toBeVisible();
    } finally {
      await cp.stop();
    }
  });
});
