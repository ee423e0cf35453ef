import { defineConfig } from 'vitest/config';
import { TIMEOUTS } from '../../tools/vitest-timeouts.ts';

export default defineConfig({
  resolve: { conditions: ['@autorec/source'] },
  ssr: { resolve: { conditions: ['@autorec/source'] } },
  test: { include: ['src/**/*.test.ts'], ...TIMEOUTS, pool: 'forks' },
});
