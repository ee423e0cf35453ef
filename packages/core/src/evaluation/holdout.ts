import type { CsrMatrix, PreparedDataset, Split } from '@autorec/data';
import type { Recommender } from '../recommender.ts';
import { evaluateFoldInRatings, evaluateHeldOutUsers, type HeldOutUsers } from './held-out-users.ts';
import { evaluateRanking, type RankingEvaluation, type RankingOptions } from './ranking.ts';
import { evaluateRatings, type RatingEvaluation } from './rating.ts';

export interface HoldoutOptions {
  /** Ranking options, or false to skip the ranking metrics (default: K = 10, all users). */
  ranking?: false | RankingOptions;
}

export interface HoldoutEvaluation {
  rating: RatingEvaluation;
  ranking?: RankingEvaluation;
  /** Wall time of the evaluation itself. */
  seconds: number;
}

/**
 * Holdout evaluation of a trained model on a test matrix of the same shape: rating errors
 * (all / warm / cold) and, unless turned off, top-K ranking metrics with training items
 * excluded.
 *
 * @example
 * await svd.fit(trainSet);
 * const e = await evaluateHoldout(svd, split.test, { ranking: { k: [10, 50] } });
 * summarizeEvaluation(e); // { rmse: 0.85, mae: 0.68, 'ndcg@10': 0.12, … }
 */
export async function evaluateHoldout(
  model: Recommender,
  test: CsrMatrix,
  options: HoldoutOptions = {},
): Promise<HoldoutEvaluation> {
  return evaluateSplit(model, { ratings: { test } }, options);
}

/** What a split-aware evaluation reads of a prepared dataset: its rating parts and held-out users. */
export interface EvaluationSplit {
  ratings: Pick<PreparedDataset['ratings'], 'test' | 'foldIn'>;
  split?: Pick<Split, 'testUsers'>;
}

/**
 * The held-out users of a split that has fold-in plays (the held-out-users protocol), else
 * undefined: the test ratings then belong to training users (holdout).
 */
export function heldOutUsersOf(data: EvaluationSplit): HeldOutUsers | undefined {
  const { foldIn, test } = data.ratings;
  return foldIn && { foldIn, test, testUsers: data.split?.testUsers };
}

/**
 * Test rating errors under the split's protocol: held-out users are new listeners, predicted
 * from their fold-in plays (`evaluateFoldInRatings`; `evaluateRatings` would only measure the
 * fallback for users the model never saw); otherwise `evaluateRatings` on the test part.
 *
 * @example
 * evaluateSplitRatings(model, prepared).all.rmse;
 */
export function evaluateSplitRatings(model: Recommender, data: EvaluationSplit): RatingEvaluation {
  const heldOut = heldOutUsersOf(data);
  return heldOut ? evaluateFoldInRatings(model, heldOut) : evaluateRatings(model, data.ratings.test);
}

/** Top-K ranking under the split's protocol: fold-in for held-out users, else `evaluateRanking`. */
export function evaluateSplitRanking(
  model: Recommender,
  data: EvaluationSplit,
  options: RankingOptions = {},
): Promise<RankingEvaluation> {
  const heldOut = heldOutUsersOf(data);
  return heldOut
    ? evaluateHeldOutUsers(model, heldOut, options)
    : evaluateRanking(model, data.ratings.test, options);
}

/**
 * `evaluateHoldout` for a prepared dataset under its own protocol (holdout or held-out users):
 * what `compareModels` measures per model, for one trained model.
 *
 * @example
 * const e = await evaluateSplit(model, prepared, { ranking: { k: 10 } });
 */
export async function evaluateSplit(
  model: Recommender,
  data: EvaluationSplit,
  options: HoldoutOptions = {},
): Promise<HoldoutEvaluation> {
  const started = performance.now();
  const rating = evaluateSplitRatings(model, data);
  const ranking =
    options.ranking === false ? undefined : await evaluateSplitRanking(model, data, options.ranking ?? {});
  return { rating, ranking, seconds: (performance.now() - started) / 1000 };
}

/**
 * The evaluation as flat named numbers (`rmse`, `mae`, `warmRmse`, `coldRmse`, `ndcg@10`,
 * `recall@10`, …): what tables, CSV rows and cross-validation summaries are made of. Metrics
 * with nothing to average (e.g. no cold ratings) are left out.
 *
 * @example
 * summarizeEvaluation(e)['recall@10'];
 */
export function summarizeEvaluation(e: HoldoutEvaluation): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (key: string, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) out[key] = v;
  };
  put('rmse', e.rating.all.rmse);
  put('mae', e.rating.all.mae);
  put('warmRmse', e.rating.warm.rmse);
  put('warmMae', e.rating.warm.mae);
  put('coldRmse', e.rating.cold.rmse);
  put('coldMae', e.rating.cold.mae);
  for (const r of e.ranking?.atK ?? []) {
    put(`precision@${r.k}`, r.precision);
    put(`recall@${r.k}`, r.recall);
    put(`truncatedRecall@${r.k}`, r.truncatedRecall);
    put(`ndcg@${r.k}`, r.ndcg);
    put(`map@${r.k}`, r.map);
    put(`hitRate@${r.k}`, r.hitRate);
    put(`coverage@${r.k}`, r.coverage);
    put(`popularity@${r.k}`, r.popularity);
  }
  return out;
}
