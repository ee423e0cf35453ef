import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@autorec/source'] },
  ssr: { resolve: { conditions: ['@autorec/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    // One PostgreSQL server for the run (skipped with a message when it is not installed).
    globalSetup: ['test/global-postgres.ts'],
    pool: 'forks',
  },
});
