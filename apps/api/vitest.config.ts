import { defineConfig } from 'vitest/config';
import { TIMEOUTS } from '../../tools/vitest-timeouts.ts';

export default defineConfig({
  resolve: { conditions: ['@autorec/source'] },
  ssr: { resolve: { conditions: ['@autorec/source'] } },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    ...TIMEOUTS,
    // One PostgreSQL server for the run (skipped with a message when it is not installed).
    globalSetup: ['test/global-postgres.ts'],
    pool: 'forks',
  },
});
