import { defineConfig } from 'vitest/config';

/**
 * The end-to-end tests (`npm run test:browser`): the built app served by `vite preview`, driven
 * in headless Debian Chromium by playwright-core (no browser download). See e2e/app.e2e.test.ts.
 */
export default defineConfig({
  resolve: { conditions: ['@autorec/source'] },
  ssr: { resolve: { conditions: ['@autorec/source'] } },
  test: {
    include: ['e2e/**/*.e2e.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 120_000,
    pool: 'forks',
    sequence: { concurrent: false },
  },
});
