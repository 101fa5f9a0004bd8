import { randomBytes, scryptSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createContext } from '../../context';
import { createCaller } from '../../root';
import { useTestApi } from '../../test-support';
import { createApiToken } from '../tokens/api-tokens';
import { deleteUser, updateUser } from '../users/users';
import { login } from './auth';
import { actorFromSession, createSession } from './sessions';

const api = useTestApi();

const HOUR = 3_600_000;

describe('sessions', () => {
  it('end after the idle timeout, and each use slides it', async () => {
    const user = await api.db.prisma.user.create({ data: { email: 'idle@example.com', name: 'idle', role: 'viewer', passwordHash: 'x' } });
    const { token } = await createSession(api.db.prisma, user.id);
    const session = () => api.db.prisma.session.findFirstOrThrow({ where: { userId: user.id } });
    const idleFor = (ms: number) => api.db.prisma.session.updateMany({ where: { userId: user.id }, data: { lastSeenAt: new Date(Date.now() - ms) } });

    // Used 11 hours ago: still valid (12 h idle timeout), and the use moves lastSeenAt to now.
    await idleFor(11 * HOUR);
    expect(await actorFromSession(api.db.prisma, token, 12 * HOUR)).toMatchObject({ id: user.id });
    expect(Date.now() - (await session()).lastSeenAt.getTime()).toBeLessThan(HOUR);

    // Unused for 13 hours: ended and deleted, though far from the 7-day cap.
    await idleFor(13 * HOUR);
    expect(await actorFromSession(api.db.prisma, token, 12 * HOUR)).toBeNull();
    expect(await api.db.prisma.session.count({ where: { userId: user.id } })).toBe(0);
  });
});

describe('password hashes', () => {
  it("are made at OWASP's minimum, and an older, weaker hash is upgraded at the next good login", async () => {
    // A hash as the code before wrote it: N=2^14.
    const salt = randomBytes(16);
    const weak = ['scrypt', 16384, 8, 1, salt.toString('base64url'), scryptSync('old but good password', salt, 32, { N: 16384, r: 8, p: 1 }).toString('base64url')].join('$');
    await api.db.prisma.user.create({ data: { email: 'old@example.com', name: 'old', role: 'viewer', passwordHash: weak } });

    await expect(login(api.db.prisma, 'old@example.com', 'wrong password')).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect((await api.db.prisma.user.findUniqueOrThrow({ where: { email: 'old@example.com' } })).passwordHash).toBe(weak);

    await login(api.db.prisma, 'old@example.com', 'old but good password');
    const upgraded = (await api.db.prisma.user.findUniqueOrThrow({ where: { email: 'old@example.com' } })).passwordHash;
    expect(upgraded.split('$').slice(0, 4)).toEqual(['scrypt', String(2 ** 17), '8', '1']);
    await login(api.db.prisma, 'old@example.com', 'old but good password');
  }, 60_000);
});

describe('API tokens', () => {
  const tokenCaller = async (token: string) => createCaller(await createContext({ headers: new Headers({ authorization: `Bearer ${token}` }), resHeaders: new Headers(), prisma: api.db.prisma }));

  it("act with at most their creator's current role, and go when the creator is deleted", async () => {
    const keeper = await api.db.prisma.user.create({ data: { email: 'keeper@example.com', name: 'keeper', role: 'admin', passwordHash: 'x' } });
    const maker = await api.db.prisma.user.create({ data: { email: 'maker@example.com', name: 'maker', role: 'admin', passwordHash: 'x' } });
    const { token } = await createApiToken(api.db.prisma, { name: 'maker-admin', role: 'admin', createdById: maker.id });
    const caller = await tokenCaller(token);
    expect((await caller.tokens.list()).length).toBeGreaterThan(0);

    // A token the admin token makes answers to the same user.
    const child = await caller.tokens.create({ name: 'child-operator', role: 'operator' });

    await updateUser(api.db.prisma, { id: maker.id, role: 'viewer' });
    await expect((await tokenCaller(token)).tokens.list()).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect((await tokenCaller(token)).pools.create({ name: 'nope', listenPort: 18777 })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(await (await tokenCaller(token)).pools.list()).toBeDefined();
    await expect((await tokenCaller(child.token)).pools.create({ name: 'nope', listenPort: 18778 })).rejects.toMatchObject({ code: 'FORBIDDEN' });

    // Promoted again, the tokens act with their own roles again.
    await updateUser(api.db.prisma, { id: maker.id, role: 'admin' });
    expect((await (await tokenCaller(token)).tokens.list()).length).toBeGreaterThan(0);

    await deleteUser(api.db.prisma, maker.id);
    await expect((await tokenCaller(token)).pools.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect((await tokenCaller(child.token)).pools.list()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    expect(keeper.role).toBe('admin');
  }, 60_000);
});
