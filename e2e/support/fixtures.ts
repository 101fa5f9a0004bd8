import { type APIRequestContext, type Browser, type Page, test as base, expect, request as newRequest } from '@playwright/test';
import { type Backend, type Handler, startBackend } from './backends';
import { freePort } from './free-port';
import { trpcMutation, trpcQuery } from './trpc';

export { expect };

/**
 * The shared control plane's two users. Every test that signs in gets them through the `users`
 * fixture, which creates whichever is missing (first admin through auth.setup, the viewer through
 * users.create), so no test depends on another having created them.
 */
export const ADMIN = { email: 'admin@example.com', name: 'Ada Admin', password: 'correct horse battery' };
export const VIEWER = { email: 'viewer@example.com', name: 'Vic Viewer', password: 'viewer password 1' };
export type Who = { email: string; password: string };

/** A name no other test (nor an earlier run of this one, `--repeat-each`) uses: a lowercase slug. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
}

export const shot = (page: Page, name: string) => page.screenshot({ path: `artifacts/${name}.png`, fullPage: true });

/** Signs in through the login form and waits for the overview. */
export async function signIn(page: Page, who: Who): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Email').fill(who.email);
  await page.getByLabel('Password').fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Pools' })).toBeVisible();
}

/** Runs `fn` in a browser context of its own (a second user, or the same one in another window), signed in as `who`; closes it after. */
export async function signedInElsewhere<T>(browser: Browser, who: Who, fn: (page: Page) => Promise<T>): Promise<T> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await signIn(page, who);
    return await fn(page);
  } finally {
    await context.close();
  }
}

/** Creates the admin and the viewer when missing; safe to call any number of times. */
async function ensureUsers(baseURL: string): Promise<void> {
  const api = await newRequest.newContext({ baseURL });
  try {
    const status = await trpcQuery<{ needsSetup: boolean }>(api, 'auth.status');
    if (status.needsSetup) {
      // Another worker may have set it up in between: CONFLICT then, and the login below works.
      await trpcMutation(api, 'auth.setup', ADMIN).catch((err: Error) => {
        if (!/CONFLICT/.test(err.message)) throw err;
      });
    }
    await trpcMutation(api, 'auth.login', { email: ADMIN.email, password: ADMIN.password });
    const hasViewer = async () => (await trpcQuery<{ email: string }[]>(api, 'users.list')).some((u) => u.email === VIEWER.email);
    if (!(await hasViewer())) {
      await trpcMutation(api, 'users.create', { ...VIEWER, role: 'viewer' }).catch(async (err: Error) => {
        if (!(await hasViewer())) throw err;
      });
    }
  } finally {
    await api.dispose();
  }
}

/** A pool a test created; deleted when the test ends. */
export interface PoolHandle {
  id: string;
  name: string;
  listenPort: number;
}

export interface PoolOptions {
  /** Defaults to a unique `pool-…` name. */
  name?: string;
  /** Backends added after the pool, as `127.0.0.1:<port>`. */
  backends?: Backend[];
  /** Any other pool setting (algorithm, healthCheck…), as pools.create takes it. */
  config?: Record<string, unknown>;
}

interface Fixtures {
  /** Makes sure ADMIN and VIEWER exist on the shared control plane (idempotent). */
  users: { admin: Who; viewer: Who };
  /** An API client signed in as ADMIN, with its own cookies (the page stays signed out). */
  api: APIRequestContext;
  /** Real backends for this test; all stopped when it ends. */
  backend: (answer: string | Handler) => Promise<Backend>;
  /** Pools for this test; all deleted when it ends. */
  pools: {
    /** Creates a pool over the API and waits until the local data plane listens for it (moving it to another port when the chosen one was taken). */
    create: (opts?: PoolOptions) => Promise<PoolHandle>;
    /** A port for a pool created in the browser (drawn below the ephemeral range). */
    freeListenPort: () => Promise<number>;
    /** Deletes a pool created in the browser when the test ends. */
    track: (name: string) => void;
  };
}

const usersReady = new Map<string, Promise<void>>();

/** The local data plane applied the newest configuration: listens for `pool`, or refused it (why). */
async function applied(api: APIRequestContext, pool: PoolHandle): Promise<{ refused?: string } | undefined> {
  type Dp = { connected: boolean; lag: number | null; refusedPools: { poolId: string; pool: string; error: string }[] };
  const dps = await trpcQuery<Dp[]>(api, 'dataplanes.list');
  const local = dps.find((d) => d.connected);
  if (local?.lag !== 0) return undefined;
  const refused = local.refusedPools.find((r) => r.poolId === pool.id || r.pool === pool.name);
  return refused ? { refused: refused.error } : {};
}

const baseTest = base.extend<Fixtures>({
  users: async ({ baseURL }, use) => {
    if (!usersReady.has(baseURL!)) usersReady.set(baseURL!, ensureUsers(baseURL!));
    await usersReady.get(baseURL!)!.catch((err) => {
      usersReady.delete(baseURL!);
      throw err;
    });
    await use({ admin: ADMIN, viewer: VIEWER });
  },
  api: async ({ baseURL, users }, use) => {
    const api = await newRequest.newContext({ baseURL });
    await trpcMutation(api, 'auth.login', { email: users.admin.email, password: users.admin.password });
    await use(api);
    await api.dispose();
  },
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this destructuring
  backend: async ({}, use) => {
    const started: Backend[] = [];
    await use(async (answer) => {
      const b = await startBackend(answer);
      started.push(b);
      return b;
    });
    await Promise.all(started.map((b) => b.stop()));
  },
  pools: async ({ api }, use) => {
    const names = new Set<string>();
    await use({
      freeListenPort: freePort,
      track: (name) => names.add(name),
      create: async (opts = {}) => {
        const name = opts.name ?? uniqueName('pool');
        names.add(name);
        const created = await trpcMutation<{ id: string; version: number }>(api, 'pools.create', { listenHost: '127.0.0.1', ...opts.config, name, listenPort: await freePort() });
        const pool: PoolHandle = { id: created.id, name, listenPort: 0 };
        for (const b of opts.backends ?? []) await trpcMutation(api, 'backends.create', { poolId: pool.id, host: '127.0.0.1', port: b.port });
        // The port was free when drawn; another process may have bound it before the data plane
        // did. The data plane then refuses this pool alone (EADDRINUSE): move it and wait again.
        for (let attempt = 1; ; attempt++) {
          const current = await trpcQuery<{ version: number; listenPort: number }>(api, 'pools.get', { id: pool.id });
          pool.listenPort = current.listenPort;
          let state: { refused?: string } | undefined;
          await expect.poll(async () => (state = await applied(api, pool)), { timeout: 60_000, message: `the data plane applies pool ${name}` }).toBeDefined();
          if (!state!.refused) return pool;
          if (attempt >= 5 || !/EADDRINUSE|in use/i.test(state!.refused)) throw new Error(`the data plane refused pool ${name}: ${state!.refused}`);
          await trpcMutation(api, 'pools.update', { id: pool.id, expectedVersion: current.version, patch: { listenPort: await freePort() } });
        }
      },
    });
    // Best effort: a pool a test left mid-deploy may refuse deletion; it is unique and harms no other test.
    const mine = (await trpcQuery<{ id: string; name: string; version: number }[]>(api, 'pools.list').catch(() => [])).filter((p) => names.has(p.name));
    for (const pool of mine) await trpcMutation(api, 'pools.delete', { id: pool.id, expectedVersion: pool.version }).catch(() => undefined);
  },
});

/**
 * FULCRUM_E2E_REVERSE=1 runs the suite in reverse order, to prove no test depends on an
 * earlier one: the config lists the spec files last-first, and `area` declares a file's tests
 * last-first (Playwright runs declared order and has no reverse flag of its own).
 */
export const reversed = process.env.FULCRUM_E2E_REVERSE === '1';
let collecting: unknown[][] | null = null;

/**
 * `test` with the fixtures above. Use it (not @playwright/test's) in every spec file. Only when
 * reversed does it hold declarations back (those tests then report this file as their location,
 * since Playwright takes a test's location from its caller).
 */
export const test: typeof baseTest = reversed
  ? new Proxy(baseTest, {
      apply(target, thisArg, args: unknown[]) {
        if (collecting) return void collecting.push(args);
        return Reflect.apply(target, thisArg, args);
      },
    })
  : baseTest;

/** A group of tests (one area of the product): a describe whose tests run in reverse when FULCRUM_E2E_REVERSE=1. */
export function area(title: string, body: () => void): void {
  baseTest.describe(title, () => {
    if (!reversed) return body();
    collecting = [];
    try {
      body();
    } finally {
      const calls = collecting;
      collecting = null;
      for (const args of calls.reverse()) Reflect.apply(baseTest, undefined, args);
    }
  });
}

/** The pool page's section tabs (Overview, Backends, Config, Scaling, Deploys, Events): opens one and waits until it is the current one. */
export async function openPoolSection(page: Page, label: 'Overview' | 'Backends' | 'Config' | 'Scaling' | 'Deploys' | 'Events'): Promise<void> {
  const tab = page.getByRole('navigation', { name: 'Pool sections' }).getByRole('link', { name: label, exact: true });
  await tab.click();
  await expect(tab).toHaveAttribute('aria-current', 'page');
}

/** Opens the pool's Config section and presses Edit (the form is read-only until then). */
export async function editPoolConfig(page: Page): Promise<void> {
  await openPoolSection(page, 'Config');
  await page.getByRole('button', { name: 'Edit', exact: true }).click();
  await expect(page.getByRole('button', { name: 'Save pool' })).toBeEnabled();
}
