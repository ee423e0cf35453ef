import type { CsrMatrix } from '@autorec/data';

/**
 * Baseline predictor b_ui = μ + b_u + b_i fitted on the training ratings only. AutoRec falls
 * back to it for anything it cannot reconstruct (unknown users or songs, songs or users with no
 * training ratings) — a network asked about an input dimension it never saw outputs an
 * untrained value, and a peer implementation that predicts 1 there loses 0.1 RMSE by it — and,
 * with `residual: true`, learns only what the baseline misses.
 *
 * Shrunk means in Koren's style (item then user, repeated): b_i = Σ(r − μ − b_u)/(λ_i + n_i),
 * b_u = Σ(r − μ − b_i)/(λ_u + n_u). The user step comes last, so {@link foldInUserBias} on a
 * training user's own ratings gives back exactly that user's b_u.
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
  itemShrinkage: number;
}

export interface BiasOptions {
  /** Shrinkage of user biases towards 0 (ratings' worth of prior). Default 10. */
  userShrinkage?: number;
  /** Shrinkage of item biases towards 0. Default 25. */
  itemShrinkage?: number;
  /** Alternating passes. Default 3. */
  iterations?: number;
}

export function fitBiases(ratings: CsrMatrix, options: BiasOptions = {}): Biases {
  const userShrinkage = options.userShrinkage ?? 10;
  const itemShrinkage = options.itemShrinkage ?? 25;
  const iterations = options.iterations ?? 3;
  const { rows, cols, indptr, indices, values } = ratings;
  const n = indptr[rows];
  let sum = 0;
  for (let p = 0; p < n; p++) sum += values[p];
  // Float32 like every stored weight, so a saved and reloaded model computes the same residuals.
  const mean = Math.fround(n > 0 ? sum / n : 0);
  const user = new Float32Array(rows);
  const item = new Float32Array(cols);
  const userCount = new Uint32Array(rows);
  const itemCount = new Uint32Array(cols);
  for (let u = 0; u < rows; u++) userCount[u] = indptr[u + 1] - indptr[u];
  for (let p = 0; p < n; p++) itemCount[indices[p]]++;
  const acc = new Float64Array(cols);
  for (let it = 0; it < iterations; it++) {
    acc.fill(0);
    for (let u = 0; u < rows; u++)
      for (let p = indptr[u]; p < indptr[u + 1]; p++) acc[indices[p]] += values[p] - mean - user[u];
    for (let i = 0; i < cols; i++) item[i] = itemCount[i] > 0 ? acc[i] / (itemShrinkage + itemCount[i]) : 0;
    for (let u = 0; u < rows; u++) {
      let s = 0;
      for (let p = indptr[u]; p < indptr[u + 1]; p++) s += values[p] - mean - item[indices[p]];
      user[u] = userCount[u] > 0 ? s / (userShrinkage + userCount[u]) : 0;
    }
  }
  return { mean, user, item, userCount, itemCount, userShrinkage, itemShrinkage };
}

/** b_u of a listener not in training, from their item indices and ratings (same estimator as training). */
export function foldInUserBias(biases: Biases, items: ArrayLike<number>, ratings: ArrayLike<number>): number {
  if (items.length === 0) return 0;
  let s = 0;
  for (let j = 0; j < items.length; j++) s += ratings[j] - biases.mean - biases.item[items[j]];
  return Math.fround(s / (biases.userShrinkage + items.length));
}

/** r − (μ + b_row + b_col), the value residual AutoRec learns; one definition so training and fold-in agree bit for bit. */
export function residualOf(rating: number, mean: number, rowBias: number, colBias: number): number {
  return rating - mean - rowBias - colBias;
}
