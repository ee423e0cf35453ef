import { type CsrMatrix, nnz, rowIndices, rowValues } from '@autorec/data';
import type { Recommender } from '../recommender.ts';
import { progressStep, topKExcluding } from './ranked-lists.ts';
import {
  itemPopularity,
  RankingAccumulator,
  type RankingEvaluation,
  type RankingOptions,
  relevantItems,
  selectUsers,
} from './ranking.ts';
import { checkShape, type RatingEvaluation, RatingTally } from './rating.ts';

/** Held-out users folded in per `scoreFoldInRows` call: memory is batch × items × 4 bytes. */
const FOLD_IN_BATCH = 256;

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
  const acc = new RankingAccumulator(options.k ?? 10, itemPopularity(train));
  const { foldIn } = split;
  const topOf = topKExcluding(model, acc.maxK, options.includeColdItems);
  const step = progressStep(options);
  const n = train.cols;
  // One block for every batch: a fresh one each time is 42 MB per 256 users on 41K songs,
  // and collecting them cost more than the top-K lists (1.7 s of 7 s for 2,560 msd users).
  const scores = new Float32Array(Math.min(FOLD_IN_BATCH, users.length) * n);
  for (let from = 0; from < users.length; from += FOLD_IN_BATCH) {
    options.signal?.throwIfAborted();
    const batch = users.slice(from, from + FOLD_IN_BATCH);
    // One call per batch: a model with a batched forward pass (Mult-VAE) folds them in at once.
    model.scoreFoldInRows(foldIn, batch, scores);
    for (let b = 0; b < batch.length; b++) {
      const u = batch[b];
      const top = topOf(scores, b * n, rowIndices(foldIn, u));
      acc.add(u, top, relevantItems(split.test, u, options.minRelevantRating));
    }
    // Progress (and a turn of the event loop) every batch, as evaluateRanking's.
    await step(from + batch.length, users.length);
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
  const cold = model.coldItems();
  const users = selectUsers(test, {}, split.testUsers);
  const tally = new RatingTally();
  const mse = new Float64Array(users.length);
  for (let r = 0; r < users.length; r++) {
    const u = users[r];
    const items = rowIndices(foldIn, u);
    const targets = rowIndices(test, u);
    const actual = rowValues(test, u);
    const pred = model.predictFoldIn(items, rowValues(foldIn, u), targets);
    let sse = 0;
    for (let q = 0; q < targets.length; q++) {
      tally.add(pred[q], actual[q], items.length === 0, cold[targets[q]] === 1);
      sse += (pred[q] - actual[q]) ** 2;
    }
    mse[r] = sse / targets.length;
  }
  return tally.result({ users, mse });
}
