import type { CsrMatrix } from '@autorec/data';
import { AUTOREC_BASELINE, BiasBaseline, foldInBias } from './bias-baseline.ts';

/**
 * AutoRec's view of the package's bias baseline μ + b_u + b_i ({@link BiasBaseline}, the
 * BaselineOnly model's fit: λ_u 15, λ_i 10, 10 ALS epochs). AutoRec falls back to it for
 * anything it cannot reconstruct (unknown users or songs, songs or users with no training
 * ratings) — a network asked about an input dimension it never saw outputs an untrained value,
 * and a peer implementation that predicts 1 there loses 0.1 RMSE by it — and, with
 * `residual: true`, learns only what the baseline misses. The biases are kept as float32 like
 * every stored weight, so a saved and reloaded model computes the same residuals; the user
 * step comes last, so {@link foldInUserBias} on a training user's own ratings gives back that
 * user's b_u (to float32 rounding).
 *
 * @example
 * const b = fitBiases(train.ratings);
 * b.mean + b.user[u] + b.item[i]; // baseline rating of (u, i)
 */
export interface Biases {
  mean: number;
  user: Float32Array;
  item: Float32Array;
  /** Training ratings per user / item (0 = cold: predictions use the baseline). */
  userCount: Uint32Array;
  itemCount: Uint32Array;
  userShrinkage: number;
}

/**
 * Fits the bias baseline on `ratings` (`epochs: 0` gives zero biases: only the counts, for a
 * model whose saved biases are read back).
 */
export function fitBiases(ratings: CsrMatrix, options: { epochs?: number } = {}): Biases {
  const epochs = options.epochs ?? AUTOREC_BASELINE.epochs;
  const baseline = BiasBaseline.fit(ratings, { ...AUTOREC_BASELINE, epochs });
  const { rows, indptr, indices } = ratings;
  const userCount = new Uint32Array(rows);
  const itemCount = new Uint32Array(ratings.cols);
  for (let u = 0; u < rows; u++) userCount[u] = indptr[u + 1] - indptr[u];
  for (let p = 0; p < indptr[rows]; p++) itemCount[indices[p]]++;
  const biases: Biases = {
    mean: Math.fround(baseline.mu),
    user: new Float32Array(rows),
    item: Float32Array.from(baseline.bi),
    userCount,
    itemCount,
    userShrinkage: baseline.regUser,
  };
  // The last user step once more on the float32 values, so that fold-in of a training user's own
  // ratings gives back their stored b_u bit for bit (it differs from the float64 b_u by ~1e-7).
  if (epochs > 0)
    for (let u = 0; u < rows; u++) {
      const row = { from: indptr[u], to: indptr[u + 1] };
      biases.user[u] = foldInUserBias(
        biases,
        indices.subarray(row.from, row.to),
        ratings.values.subarray(row.from, row.to),
      );
    }
  return biases;
}

/** b_u of a listener not in training, from their item indices and ratings (the baseline's fold-in). */
export function foldInUserBias(biases: Biases, items: ArrayLike<number>, ratings: ArrayLike<number>): number {
  return Math.fround(foldInBias(biases.mean, biases.item, biases.userShrinkage, items, ratings));
}

/** r − (μ + b_row + b_col), the value residual AutoRec learns; one definition so training and fold-in agree bit for bit. */
export function residualOf(rating: number, mean: number, rowBias: number, colBias: number): number {
  return rating - mean - rowBias - colBias;
}
