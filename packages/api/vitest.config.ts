import { defineConfig } from 'vitest/config';

// Integration tests start a real PostgreSQL; the first one in a worker pays for its start.
export default defineConfig({ test: { include: ['src/**/*.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 } });
