import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@autorec/source'] },
  ssr: { resolve: { conditions: ['@autorec/source'] } },
  test: { include: ['src/**/*.test.ts'], testTimeout: 60_000, pool: 'forks' },
});
