import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['@autorec/source'] },
  ssr: { resolve: { conditions: ['@autorec/source'] } },
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'test/**/*.test.{ts,tsx}'],
    testTimeout: 60_000,
    pool: 'forks',
    // CI=true makes chalk emit colours; screens are asserted as plain text.
    env: { FORCE_COLOR: '0' },
  },
});
