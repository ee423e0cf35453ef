import { defineConfig } from 'vitest/config';
import { TIMEOUTS } from '../../tools/vitest-timeouts.ts';

/** Component and unit tests (`npm test`); the end-to-end tests are in vitest.e2e.config.ts. */
export default defineConfig({
  resolve: { conditions: ['@autorec/source'] },
  ssr: { resolve: { conditions: ['@autorec/source'] } },
  esbuild: { jsx: 'automatic' },
  test: { include: ['test/**/*.test.{ts,tsx}'], ...TIMEOUTS, pool: 'forks' },
});
