import type { CsrMatrix, RatingScale, TrainSet } from '@autorec/data';

/**
 * Model names, the same on every surface (CLI `--model`, API, browser): the keys of the model
 * registry (`models/registry.ts`), so a new model is named there and nowhere else.
 */
export type ModelName = import('./models/registry.ts').RegisteredModelName;

/** One progress event during `fit`. Batch events come at most every few hundred ms; epoch events always. */
export interface TrainingProgress {
  model: ModelName;
  phase: 'batch' | 'epoch' | 'done';
  /** 1-based epoch (0 before the first epoch ends). */
  epoch: number;
  epochs: number;
  /** 1-based batch within the epoch. */
  batch: number;
  batches: number;
  /** Mean training loss over the epoch so far (the model's own objective). */
  loss?: number;
  /** Training RMSE on observed entries, when the model tracks it. */
  trainRmse?: number;
  /** RMSE on the validation matrix, after each epoch when one was given. */
  validationRmse?: number;
  /**
   * NDCG@10 on the validation set after each epoch (a seeded sample of its users, training plays
   * left out), when the model early-stops on it (implicit-objective AutoRec) or the caller asked
   * for it (`FitOptions.validationRanking`).
   */
  validationNdcg?: number;
  elapsedSeconds: number;
  /** Estimated seconds left for the whole fit. */
  etaSeconds?: number;
  /**
   * True while an early-stopping model is trained again on training + validation up to its kept
   * epoch (`fitOnSplit`'s refit): these epochs have no validation RMSE and are not the curve.
   */
  refit?: boolean;
}

export interface FitOptions {
  /** Held-out ratings (same shape as the training matrix) for early stopping and progress. Never the test set. */
  validation?: CsrMatrix;
  /**
   * Held-out-users validation: the validation users' fold-in plays as ratings (same shape; the
   * held-out users' rows only). `validation` then holds those users' target ratings, and a model
   * that validates scores them as new listeners — from these plays, as `recommendForPlays`
   * would — since their rows are empty in training and a training-user prediction would only
   * measure the fallback.
   */
  validationFoldIn?: CsrMatrix;
  onProgress?: (progress: TrainingProgress) => void;
  /** Stops training at the next batch boundary; the model stays usable with the weights it has. */
  signal?: AbortSignal;
  /**
   * Also measure NDCG@10 on `validation` after each epoch (`validationNdcg` in the progress
   * events and epoch records), on a seeded sample of at most 1,000 of its users, for models that
   * validate each epoch and early-stop on RMSE (rating-objective AutoRec). It costs a ranking
   * pass per epoch; models that early-stop on NDCG record it anyway.
   */
  validationRanking?: boolean;
}

/** One row of the learning curve. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  trainRmse?: number;
  validationRmse?: number;
  /** NDCG@10 on validation after this epoch, when measured (see `TrainingProgress.validationNdcg`). */
  validationNdcg?: number;
  seconds: number;
}

export interface FitResult {
  epochs: EpochRecord[];
  /** Epoch whose weights the model kept (early stopping), 1-based; 0 for closed-form models. */
  bestEpoch: number;
  seconds: number;
  /** True when an AbortSignal stopped training early. */
  aborted: boolean;
  /** Compute backend used (tfjs backend name, or 'js' for plain typed-array models). */
  backend: string;
  /**
   * Why training stopped before its epochs were done when an epoch's loss was not finite and the
   * weights of `bestEpoch` (early stopping) were kept. Without such weights `fit` throws a
   * `TrainingDivergedError` instead.
   */
  diverged?: string;
}

/** A recommendation or similar-item result with external ids. */
/**
 * What the scores of a model's lists are: `rating` — a predicted rating on the model's scale;
 * `preference` — a ranking score without a unit (higher ranks first; ALS, EASE and other models
 * for implicit feedback); `listeners` — how many training users played the item (popularity).
 */
export type ScoreKind = 'rating' | 'preference' | 'listeners';

export interface ScoredItem {
  item: string;
  score: number;
}

export interface RecommendOptions {
  /** Leave out items the user already played (default true). */
  excludeSeen?: boolean;
  /** External item ids never to return. */
  exclude?: Iterable<string>;
  /** Only rank these external item ids. */
  candidates?: Iterable<string>;
  /**
   * Also rank items with no training ratings ("cold": nothing was learnt about them, so their
   * scores are fallbacks, all alike). Default false: they are never recommended.
   */
  includeColdItems?: boolean;
}

/** A new listener's history: external song ids with play counts (before the rating transform). */
export interface Play {
  item: string;
  count: number;
}

/** Documentation of one hyper-parameter, for help screens and forms. */
export interface HyperParameterInfo {
  name: string;
  value: number | string | boolean;
  description: string;
}

/**
 * Where a model's files go. Node writes a directory atomically (`@autorec/core/node`);
 * the browser keeps them in memory or IndexedDB. Keeping I/O behind this interface keeps core
 * free of file-system code.
 */
export interface ModelStore {
  write(name: string, data: Uint8Array | string): Promise<void>;
  read(name: string): Promise<Uint8Array>;
  readText(name: string): Promise<string>;
  /** Makes everything written visible at once (atomic rename in Node). */
  commit?(): Promise<void>;
}

export type { CsrMatrix, RatingScale, TrainSet };
