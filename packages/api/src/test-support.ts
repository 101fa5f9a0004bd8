import { type TestDatabase, createTestDatabase } from '@fulcrum/db/testing';
import type { TRole } from '@fulcrum/protocol';
import { createCaller } from './root';
import { createApiToken } from './services/tokens/api-tokens';
import { createUser } from './services/users/users';
import type { Actor, Context } from './trpc';

export interface TestApi {
  db: TestDatabase;
  /** A caller acting as a user of that role (created on first use). */
  as(role: TRole): Promise<ReturnType<typeof createCaller>>;
  anonymous(): ReturnType<typeof createCaller>;
  context(actor: Actor | null): Context;
  token(role: TRole | 'dataplane'): Promise<string>;
}

/** A fresh database and callers for each role, for integration tests of the routers. */
export async function createTestApi(): Promise<TestApi> {
  const db = await createTestDatabase();
  const actors = new Map<TRole, Actor>();
  const context = (actor: Actor | null): Context => ({ prisma: db.prisma, actor, resHeaders: new Headers() });
  return {
    db,
    context,
    anonymous: () => createCaller(context(null)),
    async as(role) {
      let actor = actors.get(role);
      if (!actor) {
        const user = await createUser(db.prisma, { email: `${role}@example.com`, name: role, password: 'correct horse battery', role });
        actor = { kind: 'user', id: user.id, name: user.email, role };
        actors.set(role, actor);
      }
      return createCaller(context(actor));
    },
    async token(role) {
      return (await createApiToken(db.prisma, { name: `${role}-token`, role })).token;
    },
  };
}
