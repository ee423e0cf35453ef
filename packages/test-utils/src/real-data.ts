import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * Folder holding the real datasets (e.g. `lastfm-hetrec-2k/`): `AUTOREC_REAL_DATA`, else
 * `../shared/data` beside the repository. Undefined when absent.
 */
export function realDataDir(dataset = 'lastfm-hetrec-2k'): string | undefined {
  const base = process.env.AUTOREC_REAL_DATA ?? join(repoRoot, '..', 'shared', 'data');
  const dir = join(base, dataset);
  return existsSync(dir) ? dir : undefined;
}

/**
 * `describe` for tests on real data: skips with a clear message when the data is absent (a
 * user's fresh clone), but fails when `AUTOREC_REQUIRE_REAL_DATA=1` (CI), so CI never skips.
 */
export function describeRealData(dataset: string, name: string, fn: (dir: string) => void): void {
  const dir = realDataDir(dataset);
  if (dir) {
    describe(name, () => fn(dir));
    return;
  }
  const message = `real dataset '${dataset}' not found (set AUTOREC_REAL_DATA or place it in ../shared/data)`;
  if (process.env.AUTOREC_REQUIRE_REAL_DATA === '1') {
    describe(name, () => {
      throw new Error(`${message}; AUTOREC_REQUIRE_REAL_DATA=1 forbids skipping`);
    });
  } else {
    console.warn(`skipping '${name}': ${message}`);
    describe.skip(name, () => fn(''));
  }
}
