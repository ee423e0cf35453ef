import { defineConfig } from 'vitest/config';
import { TIMEOUTS } from '../../tools/vitest-timeouts.ts';

/** The browser tests (`npm run test:browser`): Chromium driven from Node, see browser/browser.test.ts. */
export default defineConfig({
  resolve: { conditions: ['@autorec/source'] },
  ssr: { resolve: { conditions: ['@autorec/source'] } },
  test: { include: ['browser/**/*.test.ts'], ...TIMEOUTS, hookTimeout: 240_000, pool: 'forks' },
});
