import { addDisjoint, nnz, type PreparedDataset, type Split } from '@autorec/data';
import type { ModelParams } from '../models/registry.ts';
import type { Recommender } from '../recommender.ts';
import type { FitResult, TrainingProgress } from '../types.ts';

/** What `fitOnSplit` reads of a prepared dataset. */
export type FitData = Pick<PreparedDataset, 'trainSet'> & {
  ratings: Pick<PreparedDataset['ratings'], 'validation' | 'foldIn'>;
  split?: Pick<Split, 'testUsers'>;
};

export interface FitOnSplitOptions {
  /**
   * Early-stopping models: after training with validation, train a fresh model on training +
   * validation for the kept number of epochs (default true: on ML-100K, 90/10 holdout, seed 42,
   * I-AutoRec's test RMSE 0.8966 → 0.8900 and NDCG@10 0.090 → 0.095 for 2.4× the fit time;
   * docs/metrics.md).
   */
  refit?: boolean;
  signal?: AbortSignal;
  onProgress?: (progress: TrainingProgress) => void;
  /** NDCG@10 on validation after each epoch of the validated run (`FitOptions.validationRanking`). */
  validationRanking?: boolean;
}

export interface FitOnSplitResult {
  model: Recommender;
  fit: FitResult;
  /** What the model was finally trained on. */
  trainedOn: 'train' | 'train+validation';
  /** True when an early-stopping model was refitted on training + validation at its kept epoch. */
  refitted: boolean;
}

/**
 * Whether a model stops early on validation (it has a `patience` hyper-parameter, as AutoRec).
 * Other models only draw a validation curve, so holding the validation part out of them would
 * handicap them for nothing.
 */
export function earlyStops(model: Recommender): boolean {
  return 'patience' in model.hyperParameters;
}

/**
 * Fits a model under the split's protocol so that no model is handicapped by it: with a
 * holdout validation part, models that do not early-stop train on training + validation
 * (SVD on ML-100K's test rows: 0.9400 with the 10% held out, 0.9323 without); early-stopping
 * models train on training with validation for early stopping and then (unless `refit` is
 * false) again, from scratch, on training + validation for the epoch count they kept. Held-out-users splits keep
 * validation users out of training (they are new listeners, scored by fold-in).
 *
 * `make(overrides)` builds a fresh model (the refit passes `{ epochs }`). The returned model is
 * the caller's to dispose of; a model discarded by the refit is disposed of here.
 *
 * @example
 * const { model, fit } = await fitOnSplit((o) => createModel('svd', { ...o }), prepared);
 */
export async function fitOnSplit(
  make: (overrides?: ModelParams) => Recommender,
  data: FitData,
  options: FitOnSplitOptions = {},
): Promise<FitOnSplitResult> {
  const { trainSet } = data;
  const { validation, foldIn } = data.ratings;
  const { signal, onProgress } = options;
  const holdoutValidation =
    !foldIn && validation !== undefined && nnz(validation) > 0 ? validation : undefined;
  const model = make();
  try {
    if (holdoutValidation && !earlyStops(model)) {
      const all = { ...trainSet, ratings: addDisjoint(trainSet.ratings, holdoutValidation) };
      const fit = await model.fit(all, { signal, onProgress });
      return { model, fit, trainedOn: 'train+validation', refitted: false };
    }
    const fit = await model.fit(trainSet, {
      validation,
      // Held-out users: validation users are new listeners too (their training rows are empty).
      validationFoldIn: foldIn && validation ? foldIn : undefined,
      signal,
      onProgress,
      validationRanking: options.validationRanking,
    });
    if (options.refit === false || !holdoutValidation || fit.aborted || fit.bestEpoch < 1)
      return { model, fit, trainedOn: 'train', refitted: false };
    const again = make({ epochs: fit.bestEpoch });
    try {
      const all = { ...trainSet, ratings: addDisjoint(trainSet.ratings, holdoutValidation) };
      const refit = await again.fit(all, {
        signal,
        onProgress: onProgress && ((p) => onProgress({ ...p, refit: true })),
      });
      if (refit.aborted) {
        again.dispose();
        return { model, fit: { ...fit, aborted: true }, trainedOn: 'train', refitted: false };
      }
      model.dispose();
      // The curve and kept epoch of the validated run say why this many epochs; time is both runs'.
      return {
        model: again,
        fit: { ...fit, seconds: fit.seconds + refit.seconds, backend: refit.backend },
        trainedOn: 'train+validation',
        refitted: true,
      };
    } catch (error) {
      again.dispose();
      throw error;
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
}
