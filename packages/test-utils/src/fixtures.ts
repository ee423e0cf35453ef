import { csrFromTriplets, IdIndex, Rng, type TrainSet } from '@autorec/data';
import { plantedRatings } from './planted.ts';

/**
 * A small training set with the awkward cases: the last user and the last item have no
 * training ratings (in the id maps but cold), and ratings are on the 1–5 scale.
 */
export function contractTrainSet(): TrainSet {
  const { train } = plantedRatings({ users: 40, items: 30, rank: 2, density: 0.4, testShare: 0, seed: 11 });
  const m = train.ratings;
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (let u = 0; u < m.rows - 1; u++)
    for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) {
      if (m.indices[p] === m.cols - 1) continue;
      rows.push(u);
      cols.push(m.indices[p]);
      vals.push(m.values[p]);
    }
  const { duplicates: _, ...ratings } = csrFromTriplets(m.rows, m.cols, rows, cols, vals);
  return { ...train, ratings };
}

/**
 * Two taste groups over `2 × groupItems` items: each listener plays `picks` random items of their
 * group (play counts 1–5). Group of listener u: the first half of the listeners against the
 * second (`split: 'halves'`), or even against odd (`'alternate'`).
 *
 * @example
 * const train = tasteGroups({ users: 40, groupItems: 10, picks: 5, seed: 1 });
 */
export function tasteGroups(options: {
  users: number;
  groupItems: number;
  picks: number;
  seed: number;
  split?: 'halves' | 'alternate';
}): TrainSet {
  const { users, groupItems, picks, seed, split = 'halves' } = options;
  const items = 2 * groupItems;
  const rng = new Rng(seed);
  const rows: number[] = [];
  const cols: number[] = [];
  const vals: number[] = [];
  for (let u = 0; u < users; u++) {
    const second = split === 'halves' ? u >= users / 2 : u % 2 === 1;
    const base = second ? groupItems : 0;
    const picked = new Set<number>();
    while (picked.size < picks) picked.add(base + rng.int(groupItems));
    for (const i of picked) {
      rows.push(u);
      cols.push(i);
      vals.push(1 + rng.int(5));
    }
  }
  return trainSetFromTriplets(users, items, rows, cols, vals);
}

/**
 * A training set of `users × items` from (row, col, value) triplets, ids `u0…`, `i0…`, values on
 * `scale` untransformed — what tests that generate their own plays build.
 *
 * @example
 * const train = trainSetFromTriplets(2, 3, [0, 1], [2, 0], [4, 1]);
 */
export function trainSetFromTriplets(
  users: number,
  items: number,
  rows: readonly number[],
  cols: readonly number[],
  vals: readonly number[],
  scale = { min: 1, max: 5 },
): TrainSet {
  const { duplicates: _, ...ratings } = csrFromTriplets(users, items, [...rows], [...cols], [...vals]);
  return {
    ratings,
    users: new IdIndex(Array.from({ length: users }, (_, u) => `u${u}`)),
    items: new IdIndex(Array.from({ length: items }, (_, i) => `i${i}`)),
    scale,
    transform: { name: 'none', scale },
  };
}
