import { csrFromTriplets, Rng, type SplitOptions, splitInteractions } from '@autorec/data';

/** What must come out the same in Node and in a browser for the same seeds. */
export interface DeterminismProbe {
  /** `Rng(42)`: raw 32-bit outputs, floats and normals (Box-Muller goes through Math.log, sqrt, cos). */
  uint32: number[];
  floats: number[];
  normals: number[];
  /** Labels (train/validation/test per stored entry) of each split method on one seeded matrix. */
  splits: Record<string, number[]>;
}

const SPLITS: Record<string, SplitOptions> = {
  random: { method: 'random', test: 0.2, validation: 0.1 },
  'per-user': { method: 'per-user', test: 0.2, validation: 0.1 },
  'k-fold': { method: 'k-fold', folds: 5, fold: 3, validation: 0.1 },
  'held-out-users': { method: 'held-out-users', testUsers: 10, validationUsers: 5 },
};

/**
 * Seeded draws and splits whose every number the browser tests compare with Node's: the data
 * package promises the same sequence and the same splits on every platform, and this is where
 * that promise is checked, not only pinned by a snapshot taken in Node.
 *
 * @example
 * expect(resultFromTheWorker.determinism).toEqual(determinismProbe());
 */
export function determinismProbe(): DeterminismProbe {
  const rng = new Rng(42);
  const uint32 = Array.from({ length: 8 }, () => rng.nextUint32());
  const floats = Array.from({ length: 8 }, () => rng.next());
  const normals = Array.from({ length: 8 }, () => rng.normal());
  // 60 users × 40 items, about a third of the cells played.
  const cells = new Rng(7);
  const rows: number[] = [];
  const cols: number[] = [];
  const values: number[] = [];
  for (let u = 0; u < 60; u++)
    for (let i = 0; i < 40; i++)
      if (cells.next() < 0.33) {
        rows.push(u);
        cols.push(i);
        values.push(1 + cells.int(20));
      }
  const { duplicates: _, ...m } = csrFromTriplets(60, 40, rows, cols, values);
  const splits: Record<string, number[]> = {};
  for (const [name, options] of Object.entries(SPLITS))
    splits[name] = Array.from(splitInteractions(m, options, 42).labels);
  return { uint32, floats, normals, splits };
}
