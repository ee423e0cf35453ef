import { type CsrMatrix, nnz } from '@autorec/data';
import type { Recommender } from '../recommender.ts';
import { topK } from '../topk.ts';
import {
  RankingAccumulator,
  type RankingEvaluation,
  type RankingOptions,
  relevantItems,
  selectUsers,
} from './ranking.ts';
import { checkShape, type RatingEvaluation, RatingTally } from './rating.ts';

/** A held-out-users split as the data package's `heldOutUsersSplit` returns it. */
export interface HeldOutUsers {
  /** Plays given to the model for each held-out user (ratings, same shape as training). */
  foldIn: CsrMatrix;
  /** Plays to predict (same shape). */
  test: CsrMatrix;
  /** The held-out users to evaluate (default: every row with test plays). */
  testUsers?: ArrayLike<number>;
}

/**
 * The Mult-VAE protocol (Liang et al. 2018): users absent from training are folded in from
 * part of their plays through `scoreFoldIn` — no retraining — and their other plays are the
 * relevant items of a top-K ranking over the catalogue, fold-in items excluded. Users without
 * fold-in plays are still scored (pure cold start). Metrics as in `evaluateRanking`.
 *
 * @example
 * const split = heldOutUsersSplit(ratings, { testUsers: 200 }, 1);
 * await model.fit({ ...trainSet, ratings: split.train });
 * const r = await evaluateHeldOutUsers(model, split, { k: [20, 50] });
 */
export async function evaluateHeldOutUsers(
  model: Recommender,
  split: HeldOutUsers,
  options: Omit<RankingOptions, 'batchSize'> = {},
): Promise<RankingEvaluation> {
  const train = model.trainSet.ratings;
  checkShape(train, split.foldIn, 'fold-in');
  checkShape(train, split.test, 'test');
  if (nnz(split.test) === 0)
    throw new RangeError('evaluateHeldOutUsers: the test matrix has no plays (empty input)');
  const users = selectUsers(split.test, options, split.testUsers);
  const acc = new RankingAccumulator(options.k ?? 10, train.cols);
  const { foldIn } = split;
  const mask = new Uint8Array(train.cols);
  const cold = options.includeColdItems ? new Uint8Array(train.cols) : model.coldItems();
  const skip = (i: number) => mask[i] === 1 || cold[i] === 1;
  let lastYield = performance.now();
  for (let j = 0; j < users.length; j++) {
    options.signal?.throwIfAborted();
    const u = users[j];
    const start = foldIn.indptr[u];
    const end = foldIn.indptr[u + 1];
    const items = foldIn.indices.subarray(start, end);
    const scores = model.scoreFoldIn(items, foldIn.values.subarray(start, end));
    for (const i of items) mask[i] = 1;
    const { indices } = topK(scores, acc.maxK, skip);
    for (const i of items) mask[i] = 0;
    acc.add(u, indices, relevantItems(split.test, u, options.minRelevantRating));
    if ((j + 1) % 256 === 0 || j === users.length - 1) {
      options.onProgress?.(j + 1, users.length);
      if (performance.now() - lastYield > 100 && (options.signal || options.onProgress)) {
        await new Promise<void>((resolve) => setTimeout(resolve, 0));
        lastYield = performance.now();
      }
    }
  }
  options.signal?.throwIfAborted();
  return acc.result();
}

/**
 * Rating accuracy for new listeners: each held-out user's test ratings predicted from their
 * fold-in plays alone (`predictFoldIn`, no retraining) — the RMSE that means something under
 * the held-out-users protocol, where `evaluateRatings` would only see users with no training
 * ratings and measure the fallback. `warm` ratings are of items with training ratings; `cold`
 * ones are of items without (predicted by the fallback) or of users with no fold-in plays
 * (counted in `coldUserRatings`).
 *
 * @example
 * const r = evaluateFoldInRatings(model, { foldIn: prepared.ratings.foldIn!, test: prepared.ratings.test });
 * r.all.rmse;
 */
export function evaluateFoldInRatings(model: Recommender, split: HeldOutUsers): RatingEvaluation {
  const train = model.trainSet.ratings;
  checkShape(train, split.foldIn, 'fold-in');
  checkShape(train, split.test, 'test');
  const { foldIn, test } = split;
  if (nnz(test) === 0)
    throw new RangeError('evaluateFoldInRatings: the test matrix has no ratings (empty input)');
  const itemKnown = new Uint8Array(train.cols);
  for (let p = 0; p < nnz(train); p++) itemKnown[train.indices[p]] = 1;
  const chosen = split.testUsers
    ? Array.from(split.testUsers)
    : Array.from({ length: test.rows }, (_, u) => u);
  const users = Uint32Array.from(chosen.filter((u) => test.indptr[u + 1] > test.indptr[u]));
  const tally = new RatingTally();
  const mse = new Float64Array(users.length);
  for (let r = 0; r < users.length; r++) {
    const u = users[r];
    const f0 = foldIn.indptr[u];
    const f1 = foldIn.indptr[u + 1];
    const t0 = test.indptr[u];
    const t1 = test.indptr[u + 1];
    const pred = model.predictFoldIn(
      foldIn.indices.subarray(f0, f1),
      foldIn.values.subarray(f0, f1),
      test.indices.subarray(t0, t1),
    );
    let sse = 0;
    for (let q = t0; q < t1; q++) {
      const p = pred[q - t0];
      const actual = test.values[q];
      tally.add(p, actual, f1 === f0, itemKnown[test.indices[q]] === 0);
      sse += (p - actual) ** 2;
    }
    mse[r] = sse / (t1 - t0);
  }
  return tally.result({ users, mse });
}
