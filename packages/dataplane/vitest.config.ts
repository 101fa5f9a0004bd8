import { defineConfig } from 'vitest/config';

// The timeouts only bound a hang: on a loaded machine (load average 30) tests ran 3-4x their quiet time.
export default defineConfig({ test: { include: ['src/**/*.test.ts', 'bench/**/*.test.ts'], testTimeout: 180_000, hookTimeout: 180_000 } });
