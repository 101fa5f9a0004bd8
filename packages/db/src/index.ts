export * from './generated/prisma/client';
export { getPrisma, closePrisma, setDefaultDatabaseUrl, getDefaultDatabaseUrl } from './client';
export { ensureDatabase, type DatabaseHandle, type EnsureDatabaseOptions } from './bootstrap';
export { startEmbeddedPostgres, type EmbeddedServer } from './embedded-postgres';
export { notify, createPgListener, CHANNEL_REVISION, CHANNEL_EVENTS, CHANNEL_STATS, CHANNEL_ACME, CHANNEL_TAIL_WATCH, CHANNEL_TAIL_LINES, type PgListener } from './notify';
export { connectionParts, withDatabase } from './connection-url';
export { dbEnv } from './env';
export { LOCK_ID, LOCK_NAME } from './advisory-locks';
