import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@autorec/source'] },
  ssr: { resolve: { conditions: ['@autorec/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    // Generous: a deadline only has to catch a hang, and CI machines are shared and slow at times.
    testTimeout: 180_000,
    // Set-ups and tear-downs start and stop servers and worker processes (PostgreSQL, Redis, API
    // replicas), which on a loaded 2-core machine can take longer than vitest's 10 s default.
    hookTimeout: 120_000,
    // One PostgreSQL server for the run (skipped with a message when it is not installed).
    globalSetup: ['test/global-postgres.ts'],
    pool: 'forks',
  },
});
