import { SESSION_COOKIE } from '@fulcrum/protocol';
import { describe, expect, it } from 'vitest';
import { createContext } from '../context';
import { createCaller } from '../root';
import { useTestApi } from '../test-support';

const api = useTestApi();

function cookieFrom(headers: Headers): string {
  const set = headers.get('set-cookie') ?? '';
  const match = new RegExp(`${SESSION_COOKIE}=([^;]*)`).exec(set);
  expect(set).toMatch(/HttpOnly/);
  return match?.[1] ?? '';
}

async function callerWithCookie(token: string) {
  const headers = new Headers({ cookie: `${SESSION_COOKIE}=${token}` });
  const resHeaders = new Headers();
  return { caller: createCaller(await createContext({ headers, resHeaders, prisma: api.db.prisma })), resHeaders };
}

describe('first admin, login and logout', () => {
  it('creates the first admin once, then only logins work', async () => {
    const anon = api.anonymous();
    expect(await anon.auth.status()).toEqual({ needsSetup: true, user: null });

    const resHeaders = new Headers();
    const setupCaller = createCaller({ prisma: api.db.prisma, actor: null, resHeaders });
    const admin = await setupCaller.auth.setup({ email: 'Root@Example.com', name: 'Root', password: 'long enough secret' });
    expect(admin).toMatchObject({ email: 'root@example.com', role: 'admin' });
    const token = cookieFrom(resHeaders);

    const { caller } = await callerWithCookie(token);
    expect((await caller.auth.status()).user?.email).toBe('root@example.com');
    expect((await caller.users.list()).map((u) => u.email)).toContain('root@example.com');

    await expect(anon.auth.setup({ email: 'second@example.com', name: 'Second', password: 'long enough secret' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(anon.auth.setup({ email: 'x@example.com', name: 'X', password: 'short' })).rejects.toMatchObject({ code: 'BAD_REQUEST' });

    await expect(anon.auth.login({ email: 'root@example.com', password: 'wrong password' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    const loginHeaders = new Headers();
    await createCaller({ prisma: api.db.prisma, actor: null, resHeaders: loginHeaders }).auth.login({ email: 'root@example.com', password: 'long enough secret' });
    const second = cookieFrom(loginHeaders);

    const session = await callerWithCookie(second);
    await session.caller.auth.logout();
    expect(session.resHeaders.get('set-cookie')).toMatch(/Max-Age=0/);
    const after = await callerWithCookie(second);
    await expect(after.caller.pools.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });

  it('issues API tokens shown once, usable as bearer, refused once revoked; data-plane tokens get no API', async () => {
    const admin = await api.as('admin');
    const created = await admin.tokens.create({ name: 'ci', role: 'operator' });
    expect(created.token).toMatch(/^flc_/);
    expect((await admin.tokens.list()).find((t) => t.id === created.id)).not.toHaveProperty('token');

    const bearer = async (token: string) => createCaller(await createContext({ headers: new Headers({ authorization: `Bearer ${token}` }), resHeaders: new Headers(), prisma: api.db.prisma }));
    expect(Array.isArray(await (await bearer(created.token)).pools.list())).toBe(true);
    await admin.tokens.revoke({ id: created.id });
    await expect((await bearer(created.token)).pools.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });

    const dp = await admin.tokens.create({ name: 'edge-1', role: 'dataplane' });
    await expect((await bearer(dp.token)).pools.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  });
  it('keeps at least one admin', async () => {
    const admin = await api.as('admin');
    const users = await admin.users.list();
    for (const u of users.filter((x) => x.role === 'admin').slice(1)) await admin.users.delete({ id: u.id });
    const last = (await admin.users.list()).find((u) => u.role === 'admin')!;
    await expect(admin.users.update({ id: last.id, role: 'viewer' })).rejects.toMatchObject({ code: 'CONFLICT' });
    await expect(admin.users.delete({ id: last.id })).rejects.toMatchObject({ code: 'CONFLICT' });
  });
});
