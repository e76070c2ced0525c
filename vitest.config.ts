import { defineConfig } from 'vitest/config';

// Each worker is its own process with its own embedded ClickHouse data directory (chDB binds one
// directory per process). Two workers: the machine has two cores.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    poolOptions: { forks: { minForks: 1, maxForks: 2 } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
  },
});
