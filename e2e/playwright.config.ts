import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from '@playwright/test';

const testDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tests');

// FULCRUM_E2E_REVERSE=1: every spec file as a project of its own, listed last-first (Playwright
// runs projects in the order listed, files in name order, tests in declared order; support/
// fixtures.ts's `area` reverses the tests within a file). Proves no test needs an earlier one.
const reversedProjects =
  process.env.FULCRUM_E2E_REVERSE === '1'
    ? readdirSync(testDir)
        .filter((f) => f.endsWith('.spec.ts'))
        .sort()
        .reverse()
        .map((f) => ({ name: f, testMatch: new RegExp(`(^|/)${f.replace(/\./g, '\\.')}$`) }))
    : undefined;

// Debian's Chromium; browsers are never downloaded.
export default defineConfig({
  testDir: './tests',
  outputDir: './test-results',
  // One worker: the tests share one control plane and its data plane, and some stop that data
  // plane for a while. Each test still creates its own users/pools/backends (support/fixtures.ts).
  fullyParallel: false,
  workers: 1,
  // Timeouts only bound a hang: a loaded machine (load average 40 on 2 cores) runs the same steps
  // 10x slower (a dashboard section can take over 30 s to load there).
  timeout: 300_000,
  expect: { timeout: 60_000 },
  reporter: [['list']],
  globalSetup: './support/global-setup.ts',
  ...(reversedProjects ? { projects: reversedProjects } : {}),
  use: {
    baseURL: process.env.FULCRUM_E2E_URL,
    headless: true,
    viewport: { width: 1280, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
    },
  },
});
