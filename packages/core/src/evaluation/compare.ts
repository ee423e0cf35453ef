import type { PreparedDataset, Split } from '@autorec/data';
import { TrainingDivergedError } from '../errors.ts';
import { createModel, type ModelParams } from '../models/registry.ts';
import type { Recommender } from '../recommender.ts';
import type { EpochRecord, ModelName, TrainingProgress } from '../types.ts';
import { fitOnSplit } from './fit-on-split.ts';
import { evaluateSplitRanking, evaluateSplitRatings, heldOutUsersOf } from './holdout.ts';
import {
  DEFAULT_RANKING_KS,
  type RankingAtK,
  type RankingEvaluation,
  type RankingOptions,
} from './ranking.ts';
import type { ErrorSummary } from './rating.ts';
import { comparePerUser, type PairedComparison, type PerUserValues } from './significance.ts';

/**
 * What a comparison trains and tests on: the parts of `@autorec/data`'s `PreparedDataset`
 * it reads, so a prepared dataset is passed as is — `trainSet` to fit, `ratings.validation`
 * for per-epoch curves, `ratings.test` to evaluate, and for a held-out-users split
 * `ratings.foldIn` with `split.testUsers`.
 */
export type ComparisonData = Pick<PreparedDataset, 'trainSet' | 'ratings'> & {
  split?: Pick<Split, 'testUsers'>;
};

/** A model to compare: its registry name, hyper-parameters and a label (default: the name). */
export interface ModelSpec {
  name: ModelName;
  params?: ModelParams;
  label?: string;
}

export interface CompareProgress {
  /** Label of the model being worked on. */
  model: string;
  /** 0-based position in the list, and the list length. */
  index: number;
  total: number;
  stage: 'fit' | 'evaluate' | 'done';
  /** The model's own training event (stage 'fit'). */
  training?: TrainingProgress;
}

export interface CompareOptions {
  models: readonly (ModelName | ModelSpec)[];
  /** Seed for every model that takes one (unless its params set it) and for user sampling (default 42). */
  seed?: number;
  /**
   * Ranking options (default K = 10, 20, 50, 100 — `DEFAULT_RANKING_KS` — over all users), or
   * false for rating metrics only. Per-user NDCG for the paired tests is at the first K.
   */
  ranking?: false | Omit<RankingOptions, 'signal' | 'onProgress' | 'seed'>;
  /** Label of the model every other is tested against (default 'svd' when present, else the first). */
  reference?: string;
  /**
   * Label of the model every other is tested against on per-user NDCG (default 'popularity'
   * when present — the line a recommender must beat — else `reference`).
   */
  rankingReference?: string;
  /** Refit early-stopping models on training + validation at their kept epoch (see `fitOnSplit`; default true). */
  refit?: boolean;
  /**
   * Measure NDCG@10 on validation after each epoch of early-stopping models that stop on RMSE
   * (`FitOptions.validationRanking`): the curve of ranking quality while they train.
   */
  validationRanking?: boolean;
  /** Keep the trained models in the result instead of disposing of them. */
  keepModels?: boolean;
  onProgress?: (event: CompareProgress) => void;
  signal?: AbortSignal;
}

/** One model's row of the comparison. */
export interface ModelComparison {
  label: string;
  model: ModelName;
  hyperParameters: Record<string, number | string | boolean>;
  rating: { rmse: number; mae: number; warm: ErrorSummary; cold: ErrorSummary };
  ranking?: { users: number; atK: RankingAtK[] };
  trainSeconds: number;
  /** Epochs run, and the one whose weights were kept (0 for closed-form models). */
  epochs: number;
  bestEpoch: number;
  backend: string;
  /** Per-epoch learning curve (loss, train/validation RMSE). */
  curve: EpochRecord[];
  /** Set when a late epoch diverged and early stopping's best epoch was kept (see `FitResult.diverged`). */
  diverged?: string;
  /** What the model was finally trained on (see `fitOnSplit`): training + validation unless it early-stops. */
  trainedOn: 'train' | 'train+validation';
  /** An early-stopping model trained again on training + validation at its kept epoch (`refit`). */
  refitted: boolean;
  /** Per-user values behind the paired tests: MSE, and NDCG at the first K (users ascending). */
  perUser: { mse: PerUserValues; ndcg?: PerUserValues };
  /** Paired test of per-user NDCG at the first K against the ranking reference (absent for it, or without ranking). */
  rankingSignificance?: { against: string; userNdcg: PairedComparison };
  /** Paired tests against the reference model (absent for the reference itself). */
  significance?: {
    against: string;
    /** On each test user's mean squared error. */
    userMse: PairedComparison;
    /** On each user's NDCG at the first K. */
    userNdcg?: PairedComparison;
  };
}

/** Where a comparison stood when its signal fired (see `ComparisonResult.aborted`). */
export interface ComparisonAbort {
  /** Label of the model being trained or evaluated; absent when the signal fired between models. */
  model?: string;
  stage?: 'fit' | 'evaluate';
  /** Labels of the models that never started, in order. */
  notStarted: string[];
  /** The signal's reason. */
  reason: unknown;
}

export interface ComparisonResult {
  /**
   * 'holdout': training users' test plays. 'held-out-users' (when the data has fold-in plays):
   * the test users are absent from training, so each is a new listener — rating metrics through
   * `predictFoldIn` (`evaluateFoldInRatings`), ranking through `scoreFoldIn`, both from the
   * user's fold-in plays, and validation users scored the same way for early stopping.
   */
  protocol: 'holdout' | 'held-out-users';
  reference: string;
  /** The model per-user NDCG is tested against (`rankingSignificance`). */
  rankingReference: string;
  seed: number;
  models: ModelComparison[];
  /** The trained models, in the same order, when `keepModels` was set. */
  trained?: Recommender[];
  /**
   * Present when the signal fired before every model finished. `models` (and `trained`) then
   * hold only the models that finished, in order — complete rows, nothing half-trained — and
   * they carry significance tests only if the reference model is among them.
   */
  aborted?: ComparisonAbort;
  /**
   * Models whose training diverged (a non-finite loss with no finite epoch to keep, see
   * `TrainingDivergedError`): they have no row, and the comparison goes on without them.
   */
  diverged?: { label: string; model: ModelName; message: string }[];
}

/**
 * Trains every listed model on the same training split and evaluates it on the same test
 * split: RMSE/MAE overall, warm and cold; ranking metrics at K (held-out users are folded
 * in for both, see `ComparisonResult.protocol`); training time, epochs,
 * backend and learning curve; and paired t / Wilcoxon tests of each model against the
 * reference (SVD by default) over per-user MSE and per-user NDCG. Pure: no I/O. Models
 * come from the registry, so any registered model (AutoRec included) can be listed.
 *
 * An abort does not reject: training stops at the next batch boundary (ranking at the next
 * batch of users) and the promise resolves with the models finished so far and `aborted` saying
 * which model was in progress. The interrupted model is disposed of, never returned.
 *
 * @example
 * const prepared = prepareDataset(dataset, { split: { method: 'random', test: 0.1 }, seed: 1 });
 * const r = await compareModels(prepared, { models: ['svd', 'baseline', 'global-mean'], seed: 1 });
 * r.models.map((m) => [m.label, m.rating.rmse, m.significance?.userMse.tTest.pValue]);
 * if (r.aborted) console.log(`stopped during ${r.aborted.model}; finished ${r.models.length}`);
 */
export async function compareModels(
  data: ComparisonData,
  options: CompareOptions,
): Promise<ComparisonResult> {
  const specs = options.models.map((m) => (typeof m === 'string' ? { name: m } : m));
  if (specs.length === 0) throw new RangeError('compareModels: give at least one model');
  const labels = specs.map((s) => s.label ?? s.name);
  const duplicate = labels.find((l, i) => labels.indexOf(l) !== i);
  if (duplicate)
    throw new RangeError(`compareModels: two models are labelled '${duplicate}'; give them distinct labels`);
  const reference = options.reference ?? (labels.includes('svd') ? 'svd' : labels[0]);
  if (!labels.includes(reference))
    throw new RangeError(`compareModels: reference '${reference}' is not among ${labels.join(', ')}`);
  const rankingReference =
    options.rankingReference ?? (labels.includes('popularity') ? 'popularity' : reference);
  if (!labels.includes(rankingReference))
    throw new RangeError(
      `compareModels: ranking reference '${rankingReference}' is not among ${labels.join(', ')}`,
    );
  const seed = options.seed ?? 42;
  const { signal } = options;
  const protocol = heldOutUsersOf(data) ? 'held-out-users' : 'holdout';
  // Validation plays are known plays: never recommended, whatever the model was trained on.
  const exclude = protocol === 'holdout' ? data.ratings.validation : undefined;
  const rank = (model: Recommender) =>
    evaluateSplitRanking(model, data, {
      k: DEFAULT_RANKING_KS,
      exclude,
      ...(options.ranking || {}),
      seed,
      signal,
    });

  const rows: ModelComparison[] = [];
  const trained: Recommender[] = [];
  const diverged: NonNullable<ComparisonResult['diverged']> = [];
  let aborted: ComparisonAbort | undefined;
  const stopAt = (index: number, stage?: 'fit' | 'evaluate'): ComparisonAbort => ({
    model: stage ? labels[index] : undefined,
    stage,
    notStarted: labels.slice(stage ? index + 1 : index),
    reason: signal?.reason,
  });
  for (let index = 0; index < specs.length; index++) {
    if (signal?.aborted) {
      aborted = stopAt(index);
      break;
    }
    const spec = specs[index];
    const label = labels[index];
    const progress = (e: Omit<CompareProgress, 'model' | 'index' | 'total'>) =>
      options.onProgress?.({ model: label, index, total: specs.length, ...e });
    let fitted: Awaited<ReturnType<typeof fitOnSplit>>;
    try {
      fitted = await fitOnSplit(
        (overrides) => withSeed({ ...spec, params: { ...spec.params, ...overrides } }, seed),
        data,
        {
          refit: options.refit,
          validationRanking: options.validationRanking,
          signal,
          onProgress: (training) => progress({ stage: 'fit', training }),
        },
      );
    } catch (error) {
      if (!(error instanceof TrainingDivergedError)) throw error;
      diverged.push({ label, model: spec.name, message: error.message });
      continue;
    }
    const { model, fit, trainedOn, refitted } = fitted;
    let kept = false;
    try {
      if (fit.aborted || signal?.aborted) {
        aborted = stopAt(index, 'fit');
        break;
      }
      progress({ stage: 'evaluate' });
      // Held-out users are new listeners: their ratings are predicted from their fold-in plays.
      const rating = evaluateSplitRatings(model, data);
      let ranking: RankingEvaluation | undefined;
      try {
        ranking = options.ranking === false ? undefined : await rank(model);
      } catch (error) {
        // The ranking loops stop by throwing the signal's reason; anything else is a real failure.
        if (signal?.aborted && error === signal.reason) {
          aborted = stopAt(index, 'evaluate');
          break;
        }
        throw error;
      }
      rows.push({
        label,
        model: spec.name,
        hyperParameters: model.hyperParameters,
        rating: { rmse: rating.all.rmse!, mae: rating.all.mae!, warm: rating.warm, cold: rating.cold },
        ranking: ranking && { users: ranking.users, atK: ranking.atK },
        trainSeconds: fit.seconds,
        epochs: fit.epochs.length,
        bestEpoch: fit.bestEpoch,
        backend: fit.backend,
        curve: fit.epochs,
        ...(fit.diverged ? { diverged: fit.diverged } : {}),
        trainedOn,
        refitted,
        perUser: {
          mse: { users: rating.perUser.users, values: rating.perUser.mse },
          ndcg: ranking && { users: ranking.perUser.users, values: ranking.perUser.ndcg },
        },
      });
      if (options.keepModels) {
        trained.push(model);
        kept = true;
      }
      progress({ stage: 'done' });
    } finally {
      if (!kept) model.dispose();
    }
  }

  // Rows are in list order, without diverged models, and stop at the first unfinished model.
  const r = rows.findIndex((row) => row.label === reference);
  for (let j = 0; j < rows.length && r >= 0; j++) {
    if (j === r) continue;
    const a = rows[j].perUser;
    const b = rows[r].perUser;
    // A paired test needs two users scored by both models; with fewer there is no test to report.
    if (a.mse.users.length < 2 || b.mse.users.length < 2) continue;
    rows[j].significance = {
      against: reference,
      userMse: comparePerUser(a.mse, b.mse),
      userNdcg:
        a.ndcg && b.ndcg && a.ndcg.users.length >= 2 && b.ndcg.users.length >= 2
          ? comparePerUser(a.ndcg, b.ndcg)
          : undefined,
    };
  }
  const q = rows.findIndex((row) => row.label === rankingReference);
  for (let j = 0; j < rows.length && q >= 0; j++) {
    const a = rows[j].perUser.ndcg;
    const b = rows[q].perUser.ndcg;
    if (j !== q && a && b && a.users.length >= 2 && b.users.length >= 2)
      rows[j].rankingSignificance = { against: rankingReference, userNdcg: comparePerUser(a, b) };
  }
  const result: ComparisonResult = {
    protocol,
    reference,
    rankingReference,
    seed,
    models: rows,
    trained: options.keepModels ? trained : undefined,
  };
  if (aborted) result.aborted = aborted;
  if (diverged.length > 0) result.diverged = diverged;
  return result;
}

/** Builds the model, giving it the comparison seed when it takes a seed and none was set. */
function withSeed(spec: ModelSpec, seed: number): Recommender {
  const params = { ...spec.params };
  const probe = createModel(spec.name, params);
  if (params.seed !== undefined || !('seed' in probe.hyperParameters)) return probe;
  probe.dispose();
  return createModel(spec.name, { ...params, seed });
}
