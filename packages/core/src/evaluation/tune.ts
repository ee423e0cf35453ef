import { type CsrMatrix, nnz, randomSplit, type TrainSet } from '@autorec/data';
import type { ParamValue } from '../models/shared.ts';
import type { Recommender } from '../recommender.ts';
import type { FitResult, TrainingProgress } from '../types.ts';
import { evaluateRanking } from './ranking.ts';
import { checkShape, type ErrorSummary, evaluateRatings } from './rating.ts';

/** Hyper-parameter values of one candidate, as the registry and the model constructors take them. */
export type ParamSet = Record<string, ParamValue>;

/** Values to try per hyper-parameter; the candidates are every combination (see {@link paramGrid}). */
export type ParamGrid = Record<string, readonly ParamValue[]>;

/**
 * Validation metric to optimise: `rmse` and `mae` are minimised; `ndcg@K` and `recall@K` (top-K
 * over all items with the user's training items excluded, validation plays relevant) are
 * maximised — the choice for a model that will be used to recommend rather than to predict.
 */
export type TuneMetric = 'rmse' | 'mae' | `ndcg@${number}` | `recall@${number}`;

const RANKING_METRIC = /^(ndcg|recall)@([1-9]\d*)$/;

/** True when a larger value of `metric` is better. */
export function higherIsBetter(metric: TuneMetric): boolean {
  return RANKING_METRIC.test(metric);
}

export interface TuneOptions<P extends ParamSet = ParamSet> {
  /** A fresh, untrained model for one candidate, e.g. `(p) => createModel('i-autorec', p)`. */
  makeModel: (params: P) => Recommender;
  /** The candidates: an explicit list, or a grid whose every combination is tried. */
  candidates: readonly P[] | ParamGrid;
  /** What each candidate trains on. */
  train: TrainSet;
  /**
   * Held-out ratings of the training users and items (same shape as `train.ratings`), used for
   * the choice and for early stopping: carve them out of the training data
   * ({@link holdOutValidation}), never from the test set.
   */
  validation: CsrMatrix;
  /** Default 'rmse'. */
  metric?: TuneMetric;
  /** Hand each fit the validation set for early stopping (default true). */
  earlyStopping?: boolean;
  /**
   * Fit every candidate once per seed (its `seed` parameter set to each) and rank by the mean
   * score, so a choice does not hinge on one initialisation. Default: one fit with the
   * candidate's own parameters.
   */
  seeds?: readonly number[];
  /** Keep the best candidate's trained model (`TuneResult.bestModel`) instead of disposing of it. */
  keepBest?: boolean;
  onProgress?: (event: TuneProgress) => void;
  /** Stops at the next batch boundary; the result then holds the candidates that finished. */
  signal?: AbortSignal;
}

export interface TuneProgress {
  /** 0-based position of the candidate, and how many there are. */
  index: number;
  total: number;
  params: ParamSet;
  stage: 'fit' | 'done';
  /** The model's own training event (stage 'fit'). */
  training?: TrainingProgress;
  /** The finished candidate (stage 'done'). */
  trial?: TuneTrial;
  /**
   * The trained model of the finished candidate (stage 'done'; its first seed), e.g. to
   * record its test error for a report. Valid during the callback only: it is disposed of
   * afterwards unless kept as the best.
   */
  model?: Recommender;
}

/** One evaluated candidate. */
export interface TuneTrial {
  params: ParamSet;
  /** Position in the candidate list. */
  index: number;
  /** The chosen metric on the validation set; the mean over seeds (see {@link higherIsBetter}). */
  score: number;
  rmse: number;
  mae: number;
  /** The ranking metric's value when `metric` is `ndcg@K` or `recall@K`. */
  ranking?: number;
  /** The score of each seed's fit, with `seeds`. */
  seedScores?: number[];
  /** Epochs run and the epoch whose weights were kept (0 for closed-form models); means over seeds. */
  epochs: number;
  bestEpoch: number;
  /** Median seconds per epoch (0 for closed-form models) and the mean seconds of a whole fit. */
  epochSeconds: number;
  fitSeconds: number;
}

export interface TuneResult {
  metric: TuneMetric;
  /** Finished candidates, best first (ties keep list order). */
  trials: TuneTrial[];
  /** The best candidate; absent only when the search was aborted before any finished. */
  best?: TuneTrial;
  /** The best candidate's trained model, with `keepBest`; the caller disposes of it. */
  bestModel?: Recommender;
  /** Candidates not evaluated because the signal fired. */
  aborted?: { notFinished: ParamSet[]; reason: unknown };
}

/**
 * Every combination of the grid's values, the first key varying slowest.
 *
 * @example
 * paramGrid({ lambda: [1, 100], hiddenUnits: [100, 500] });
 * // [{ lambda: 1, hiddenUnits: 100 }, { lambda: 1, hiddenUnits: 500 }, { lambda: 100, hiddenUnits: 100 }, …]
 */
export function paramGrid(grid: ParamGrid): ParamSet[] {
  let out: ParamSet[] = [{}];
  for (const [key, values] of Object.entries(grid)) {
    if (values.length === 0) throw new RangeError(`paramGrid: '${key}' lists no values`);
    out = out.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  }
  return out;
}

/**
 * A validation set carved out of the training ratings: a seeded random `share` of the entries
 * moves from training to validation, so a search can choose hyper-parameters without touching
 * the test set.
 *
 * @example
 * const { train, validation } = holdOutValidation(prepared.trainSet, 0.1, 7);
 * const r = await tuneHyperParameters({ makeModel, candidates, train, validation });
 */
export function holdOutValidation(
  train: TrainSet,
  share: number,
  seed: number,
): { train: TrainSet; validation: CsrMatrix } {
  if (!(share > 0 && share < 1))
    throw new RangeError(`holdOutValidation: share must be in (0, 1), got ${share}`);
  const split = randomSplit(train.ratings, { test: 0, validation: share }, seed);
  if (!split.validation) throw new RangeError('holdOutValidation: no ratings were held out; raise the share');
  return { train: { ...train, ratings: split.train }, validation: split.validation };
}

/**
 * Hyper-parameter search on a validation set: trains one model per candidate on `train`,
 * scores it on `validation` (RMSE or MAE of the clipped predictions), and ranks the
 * candidates. Works with any model (`makeModel` builds it, e.g. through `createModel`).
 * Candidates run one after another, and each model is disposed of once scored, so memory
 * stays that of one model.
 *
 * The validation set must be held out of the training data (it may also drive early
 * stopping, `earlyStopping`): a validation entry that is also a training entry means the two
 * overlap, and the search refuses it, since every candidate would be scored on what it saw.
 * Report the chosen candidate's error on a separate test set.
 *
 * @example
 * const { train, validation } = holdOutValidation(prepared.trainSet, 0.1, 7);
 * const r = await tuneHyperParameters({
 *   makeModel: (p) => createModel('i-autorec', p),
 *   candidates: { lambda: [10, 100, 300], hiddenUnits: [300, 500] },
 *   train,
 *   validation,
 * });
 * r.best?.params; // { lambda: 100, hiddenUnits: 500 }
 * r.trials.map((t) => [t.params, t.rmse]);
 */
export async function tuneHyperParameters<P extends ParamSet>(options: TuneOptions<P>): Promise<TuneResult> {
  const { train, validation, signal } = options;
  const metric = options.metric ?? 'rmse';
  const rankingMatch = RANKING_METRIC.exec(metric);
  // Sort key: smaller is better whatever the metric's direction; NaN (a diverged fit) last.
  const order = (score: number) =>
    Number.isNaN(score) ? Number.POSITIVE_INFINITY : rankingMatch ? -score : score;
  if (metric !== 'rmse' && metric !== 'mae' && !rankingMatch)
    throw new RangeError(
      `tuneHyperParameters: metric must be 'rmse', 'mae', 'ndcg@K' or 'recall@K', got '${metric as string}'`,
    );
  const candidates = (
    Array.isArray(options.candidates) ? options.candidates : paramGrid(options.candidates as ParamGrid)
  ) as P[];
  if (candidates.length === 0) throw new RangeError('tuneHyperParameters: give at least one candidate');
  checkShape(train.ratings, validation, 'validation');
  if (nnz(validation) === 0)
    throw new RangeError('tuneHyperParameters: the validation matrix has no ratings');
  const shared = firstSharedEntry(train.ratings, validation);
  if (shared)
    throw new RangeError(
      `tuneHyperParameters: validation rating (user ${shared.user}, item ${shared.item}) is also a training ` +
        'rating; hold the validation set out of the training data (holdOutValidation)',
    );

  const trials: TuneTrial[] = [];
  let best: { trial: TuneTrial; model: Recommender } | undefined;
  let aborted: TuneResult['aborted'];
  const total = candidates.length;
  const seeds = options.seeds?.length ? options.seeds : undefined;
  for (let index = 0; index < total && !aborted; index++) {
    const params = candidates[index];
    const models: Recommender[] = [];
    const fits: Fit[] = [];
    try {
      for (const seed of seeds ?? [undefined]) {
        if (signal?.aborted) break;
        const model = options.makeModel(seed === undefined ? params : { ...params, seed });
        models.push(model);
        const fit = await model.fit(train, {
          validation: options.earlyStopping === false ? undefined : validation,
          signal,
          onProgress: options.onProgress
            ? (training) => options.onProgress?.({ index, total, params, stage: 'fit', training })
            : undefined,
        });
        if (fit.aborted || signal?.aborted) break;
        let ranking: number | undefined;
        if (rankingMatch) {
          const atK = (await evaluateRanking(model, validation, { k: Number(rankingMatch[2]), signal }))
            .atK[0];
          ranking = rankingMatch[1] === 'ndcg' ? atK.ndcg : atK.recall;
        }
        fits.push({ fit, errors: evaluateRatings(model, validation).all, ranking });
      }
      if (fits.length < (seeds?.length ?? 1)) {
        aborted = { notFinished: candidates.slice(index), reason: signal?.reason };
        break;
      }
      const trial = summarise(params, index, metric, fits);
      trials.push(trial);
      options.onProgress?.({ index, total, params, stage: 'done', trial, model: models[0] });
      if (options.keepBest && (!best || order(trial.score) < order(best.trial.score))) {
        best?.model.dispose();
        best = { trial, model: models[0] };
      }
    } finally {
      for (const m of models) if (m !== best?.model) m.dispose();
    }
  }
  // Stable sort: equal scores keep list order. NaN (a diverged fit) ranks last.
  const ranked = [...trials].sort((a, b) => order(a.score) - order(b.score));
  const result: TuneResult = { metric, trials: ranked, best: ranked[0] };
  if (best) result.bestModel = best.model;
  if (aborted) result.aborted = aborted;
  return result;
}

interface Fit {
  fit: FitResult;
  errors: ErrorSummary;
  ranking?: number;
}

function summarise(params: ParamSet, index: number, metric: TuneMetric, fits: Fit[]): TuneTrial {
  const mean = (f: (x: Fit) => number) => fits.reduce((s, x) => s + f(x), 0) / fits.length;
  const pick = (x: Fit) =>
    x.ranking !== undefined ? x.ranking : metric === 'rmse' ? x.errors.rmse! : x.errors.mae!;
  const times = fits.flatMap((x) => x.fit.epochs.map((e) => e.seconds)).sort((a, b) => a - b);
  const trial: TuneTrial = {
    params: { ...params },
    index,
    score: mean(pick),
    rmse: mean((x) => x.errors.rmse!),
    mae: mean((x) => x.errors.mae!),
    epochs: mean((x) => x.fit.epochs.length),
    bestEpoch: mean((x) => x.fit.bestEpoch),
    epochSeconds: times.length ? times[Math.floor(times.length / 2)] : 0,
    fitSeconds: mean((x) => x.fit.seconds),
  };
  if (fits[0].ranking !== undefined) trial.ranking = trial.score;
  if (fits.length > 1) trial.seedScores = fits.map(pick);
  return trial;
}

/** The first (user, item) stored in both matrices, by user; O(nnz) with one item mask. */
function firstSharedEntry(a: CsrMatrix, b: CsrMatrix): { user: number; item: number } | undefined {
  const seen = new Uint8Array(a.cols);
  for (let u = 0; u < a.rows; u++) {
    const bFrom = b.indptr[u];
    const bTo = b.indptr[u + 1];
    if (bFrom === bTo) continue;
    for (let q = a.indptr[u]; q < a.indptr[u + 1]; q++) seen[a.indices[q]] = 1;
    let hit = -1;
    for (let q = bFrom; q < bTo && hit < 0; q++) if (seen[b.indices[q]]) hit = b.indices[q];
    for (let q = a.indptr[u]; q < a.indptr[u + 1]; q++) seen[a.indices[q]] = 0;
    if (hit >= 0) return { user: u, item: hit };
  }
  return undefined;
}
