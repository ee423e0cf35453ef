import { defineConfig } from 'vitest/config';
import { TIMEOUTS } from '../../tools/vitest-timeouts.ts';

export default defineConfig({
  resolve: { conditions: ['@autorec/source'] },
  ssr: { resolve: { conditions: ['@autorec/source'] } },
  test: {
    include: ['src/**/*.test.{ts,tsx}', 'test/**/*.test.{ts,tsx}'],
    ...TIMEOUTS,
    pool: 'forks',
    // CI=true makes chalk emit colours; screens are asserted as plain text.
    env: { FORCE_COLOR: '0' },
  },
});
