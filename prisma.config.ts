import { defineConfig } from 'prisma/config';

// prisma's env() helper throws when the variable is unset, even for `generate`; migrations are
// applied by packages/db's own runner, so a placeholder is enough here.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? 'postgresql://placeholder@127.0.0.1:5432/placeholder' },
});
