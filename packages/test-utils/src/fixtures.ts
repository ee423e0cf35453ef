import { csrFromTriplets, type TrainSet } from '@autorec/data';
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
