import { kFoldSplits, type TrainSet } from '@autorec/data';
import type { Recommender } from '../recommender.ts';
import { meanSd } from './cross-validation.ts';
import {
  higherIsBetter,
  type ParamGrid,
  type ParamSet,
  paramGrid,
  type TuneMetric,
  type TuneProgress,
  type TuneTrial,
  tuneHyperParameters,
} from './tune.ts';

/**
 * One unit of a cross-validated hyper-parameter search: train one candidate on one fold's
 * training part and score it on that fold's held-out part. Tasks are independent — a job queue
 * runs them on any number of workers, in any order, retrying any of them — and
 * {@link gatherSearch} combines their results.
 */
export interface SearchTask {
  /** Position of the candidate in the candidate list. */
  candidate: number;
  /** 0-based fold. */
  fold: number;
  params: ParamSet;
}

/** What every task of one search shares: the folds are cut from the training part with `seed`. */
export interface SearchPlan {
  candidates: ParamSet[];
  folds: number;
  seed: number;
  metric: TuneMetric;
}

/** A finished task: the candidate's score on the fold, with what `tuneHyperParameters` measured. */
export interface SearchTaskResult {
  candidate: number;
  fold: number;
  trial: TuneTrial;
}

/** One candidate over every fold. */
export interface SearchCandidate {
  index: number;
  params: ParamSet;
  /** The metric's mean and sample sd over the folds, and each fold's value (by fold). */
  score: { mean: number; sd: number; values: number[] };
  /** Mean validation RMSE over the folds. */
  rmse: number;
  /** Training seconds summed over the folds. */
  fitSeconds: number;
}

export interface SearchSummary {
  metric: TuneMetric;
  folds: number;
  /** Candidates, best first by mean score (ties keep list order; a diverged candidate last). */
  candidates: SearchCandidate[];
  best: SearchCandidate;
}

/**
 * A search's plan with its candidates spelled out (a grid becomes every combination, see
 * `paramGrid`), checked: at least one candidate, folds an integer ≥ 2.
 *
 * @example
 * const plan = searchPlan({ factors: [32, 64], regularization: [0.01, 0.1] }, 3, 42, 'ndcg@10');
 * searchTasks(plan).length; // 12
 */
export function searchPlan(
  candidates: readonly ParamSet[] | ParamGrid,
  folds: number,
  seed: number,
  metric: TuneMetric,
): SearchPlan {
  const list = Array.isArray(candidates) ? candidates : paramGrid(candidates as ParamGrid);
  if (list.length === 0) throw new RangeError('search: give at least one candidate');
  if (!(Number.isInteger(folds) && folds >= 2))
    throw new RangeError(`search: folds must be an integer ≥ 2, got ${folds}`);
  return { candidates: list.map((p) => ({ ...p })), folds, seed, metric };
}

/** Every (candidate, fold) task of a plan, candidate-major. */
export function searchTasks(plan: SearchPlan): SearchTask[] {
  return plan.candidates.flatMap((params, candidate) =>
    Array.from({ length: plan.folds }, (_, fold) => ({ candidate, fold, params: { ...params } })),
  );
}

/**
 * Runs one task: cuts fold `task.fold` of `plan.folds` from `train` (the data package's seeded
 * `kFoldSplits`, so every worker cuts the same folds), trains `makeModel(task.params)` on the
 * fold's training part and scores it on the held-out part with `plan.metric`
 * (`tuneHyperParameters` with one candidate; the held-out part also drives early stopping, as a
 * validation set does). Pass the training part of the data: the search never sees its test set.
 *
 * @example
 * const r = await runSearchTask(task, plan, prepared.trainSet, (p) => createModel('ials', p));
 * r.trial.score; // NDCG@10 of this candidate on this fold
 */
export async function runSearchTask(
  task: SearchTask,
  plan: SearchPlan,
  train: TrainSet,
  makeModel: (params: ParamSet) => Recommender,
  options: { signal?: AbortSignal; onProgress?: (event: TuneProgress) => void } = {},
): Promise<SearchTaskResult> {
  if (!(Number.isInteger(task.fold) && task.fold >= 0 && task.fold < plan.folds))
    throw new RangeError(`search: fold ${task.fold} is outside 0..${plan.folds - 1}`);
  let f = 0;
  for (const split of kFoldSplits(train.ratings, plan.folds, plan.seed)) {
    if (f++ !== task.fold) continue;
    const result = await tuneHyperParameters({
      makeModel,
      candidates: [task.params],
      train: { ...train, ratings: split.train },
      validation: split.test,
      metric: plan.metric,
      signal: options.signal,
      onProgress: options.onProgress,
    });
    if (!result.best) throw options.signal?.reason ?? new Error('search: the task was aborted');
    return { candidate: task.candidate, fold: task.fold, trial: { ...result.best, index: task.candidate } };
  }
  throw new RangeError(`search: fold ${task.fold} was not produced`);
}

/**
 * Combines the results of every task of a search: each candidate's mean ± sd over the folds,
 * ranked by the mean (higher first for ranking metrics, lower for RMSE/MAE). Refuses a missing
 * or duplicated (candidate, fold): a retried task must replace its result, not add to it.
 *
 * @example
 * const summary = gatherSearch(plan, results);
 * summary.best.params; // { factors: 64, regularization: 0.1 }
 */
export function gatherSearch(plan: SearchPlan, results: readonly SearchTaskResult[]): SearchSummary {
  const byCell = new Map<string, SearchTaskResult>();
  for (const r of results) {
    const key = `${r.candidate}/${r.fold}`;
    if (byCell.has(key)) throw new Error(`search: candidate ${r.candidate}, fold ${r.fold} has two results`);
    byCell.set(key, r);
  }
  const candidates = plan.candidates.map((params, index): SearchCandidate => {
    const trials = Array.from({ length: plan.folds }, (_, fold) => {
      const r = byCell.get(`${index}/${fold}`);
      if (!r) throw new Error(`search: candidate ${index}, fold ${fold} has no result`);
      return r.trial;
    });
    const score = meanSd(trials.map((t) => t.score));
    return {
      index,
      params: { ...params },
      score: { mean: score.mean, sd: score.sd, values: score.values },
      rmse: meanSd(trials.map((t) => t.rmse)).mean,
      fitSeconds: trials.reduce((s, t) => s + t.fitSeconds, 0),
    };
  });
  if (byCell.size !== plan.candidates.length * plan.folds)
    throw new Error(`search: ${byCell.size} results for ${plan.candidates.length * plan.folds} tasks`);
  const up = higherIsBetter(plan.metric);
  const order = (c: SearchCandidate) =>
    Number.isNaN(c.score.mean) ? Number.POSITIVE_INFINITY : up ? -c.score.mean : c.score.mean;
  const ranked = [...candidates].sort((a, b) => order(a) - order(b));
  return { metric: plan.metric, folds: plan.folds, candidates: ranked, best: ranked[0] };
}
