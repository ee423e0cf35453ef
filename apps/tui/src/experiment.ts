import {
  type CompareProgress,
  compareModelsAcrossFolds,
  DEFAULT_RANKING_KS,
  datasetSummary,
  divergenceWarnings,
  type ExperimentResult,
  experimentResult,
  type FoldedComparisonResult,
  type ModelName,
  type ModelParams,
  type Recommender,
  type SplitSummary,
  splitSummary,
} from '@autorec/core';
import {
  type Dataset,
  type PreparedDataset,
  prepareDataset,
  type SplitOptions,
  type TransformName,
} from '@autorec/data';
import { InterruptedError, UsageError, UserError } from './errors.ts';
import { describeSplit, type SplitChoice } from './options.ts';
import {
  cacheWarnings,
  type DataSource,
  describeSource,
  loadPrepared,
  readSource,
  skippedLineWarnings,
} from './sources.ts';

/** Everything that defines a comparison run (the paper's experiment and its extensions). */
export interface ExperimentConfig {
  source: DataSource;
  /** Ignored for a prepared cache, which holds its own split. */
  split: SplitChoice;
  /** Seed of the split and of every model that takes one. */
  seed: number;
  transform?: TransformName;
  models: readonly ModelName[];
  /** Hyper-parameters by model name (see `modelParams`). */
  params: Record<string, ModelParams>;
  /** Cut-off of the ranking metrics. */
  k: number;
  /** Evaluate ranking on a seeded sample of at most this many users (default: all). */
  maxUsers?: number;
  /** Refit early-stopping models on training + validation at their kept epoch (core's `fitOnSplit`). */
  refit?: boolean;
}

/** A progress event of the run: the core's comparison event plus the fold it belongs to. */
export type ExperimentEvent =
  | ({ type: 'model' } & CompareProgress & { fold: number; folds: number })
  | { type: 'stage'; message: string };

// The result's shape and its summaries live in the core's report module, shared with the web app.
export {
  type DatasetSummary,
  type ExperimentResult,
  RANKING_METRICS,
  type RankingMetricName,
  type ResultRow,
  type SplitSummary,
} from '@autorec/core';

/** Where an interrupted run stood: the model in progress and how far the folds got. */
export interface ExperimentInterruption {
  /** Model being trained or evaluated when the signal fired (absent between models). */
  model?: string;
  stage?: 'fit' | 'evaluate';
  /** Models of the interrupted fold that never started. */
  notStarted: string[];
  /** 0-based fold in progress, and how many the run has. */
  fold: number;
  folds: number;
  /** Folds every model finished: the partial rows average them, or with none are fold 1's finished models. */
  completeFolds: number;
}

/**
 * An interrupted run (InterruptedError, exit 130) with what it finished: `result` has complete
 * rows for the finished models only, so they can be shown — never saved as the run's report.
 */
export class ExperimentInterruptedError extends InterruptedError {
  constructor(
    message: string,
    readonly result: ExperimentResult,
    readonly interruption: ExperimentInterruption,
  ) {
    super(message);
    this.name = 'ExperimentInterruptedError';
  }
}

/** A finished run with the trained models (of the first fold) and the prepared data for browsing. */
export interface ExperimentRun {
  result: ExperimentResult;
  trained: Recommender[];
  prepared: PreparedDataset;
}

/**
 * Runs the comparison: the same split for every model, trained and evaluated through the
 * core's `compareModels`. K-fold runs every fold and reports means (sd in `sd`). Progress goes
 * to `onEvent`; an abort stops at the next batch boundary and rejects with an
 * `ExperimentInterruptedError` holding the finished models' results (a plain InterruptedError
 * when it fired before the comparison began).
 *
 * @example
 * const run = await runExperiment({ source: { kind: 'preset', preset: 'tiny' }, split: parseSplit('holdout:0.1'),
 *   seed: 42, models: ['svd', 'u-autorec'], params: {}, k: 10 });
 * run.result.results[0].rmse;
 */
export async function runExperiment(
  config: ExperimentConfig,
  options: { signal?: AbortSignal; onEvent?: (e: ExperimentEvent) => void } = {},
): Promise<ExperimentRun> {
  const started = performance.now();
  const { signal, onEvent } = options;
  onEvent?.({ type: 'stage', message: `loading ${describeSource(config.source)}` });
  let dataset: Dataset | undefined;
  let first: PreparedDataset;
  const folds = config.source.kind !== 'cache' && config.split.kind === 'kfold' ? config.split.folds : 1;
  if (config.source.kind === 'cache') {
    first = await loadPrepared(config.source.path);
  } else {
    const read = await readSource(config.source);
    dataset = read.dataset;
    onEvent?.({ type: 'stage', message: `splitting (${describeSplit(config.split)}, seed ${config.seed})` });
    first = prepareDataset(dataset, {
      split: splitFor(config.split, 0),
      seed: config.seed,
      transform: config.transform,
      testMask: read.testMask,
    });
  }
  // Fold 0 is prepared above (its summary describes the run); the rest one at a time.
  function* prepared(): Generator<PreparedDataset> {
    yield first;
    for (let fold = 1; fold < folds; fold++)
      yield prepareDataset(dataset!, {
        split: splitFor(config.split, fold),
        seed: config.seed,
        transform: config.transform,
      });
  }
  const warnings =
    config.source.kind === 'cache' ? await cacheWarnings(config.source.path) : skippedLineWarnings(dataset!);
  const comparison = await compareModelsAcrossFolds(prepared(), {
    models: config.models.map((name) => ({ name, params: config.params[name] ?? {} })),
    seed: config.seed,
    ranking: { k: [config.k, ...DEFAULT_RANKING_KS], maxUsers: config.maxUsers },
    keepFirstFoldModels: true,
    refit: config.refit,
    signal,
    onProgress: (e) => onEvent?.({ type: 'model', ...e, folds }),
    onFold: (c, fold) => warnings.push(...divergenceWarnings(c, folds > 1 ? ` (fold ${fold + 1})` : '')),
  });
  const trained = comparison.perFold[0]?.trained ?? [];
  if (comparison.aborted) {
    for (const m of trained) m.dispose();
    const { model, stage, notStarted, reason, fold } = comparison.aborted;
    throw new ExperimentInterruptedError(
      reason instanceof Error ? reason.message : 'interrupted',
      summarize(comparison, first, config, folds, started, warnings),
      { model, stage, notStarted, fold, folds, completeFolds: comparison.folds },
    );
  }
  const result = summarize(comparison, first, config, folds, started, warnings);
  if (result.results.length === 0) {
    for (const m of trained) m.dispose();
    throw new UserError(`no model finished training: ${warnings.join('; ')}`, {
      hint: 'lower the learning rate (--lr) or --lambda, or use a transform with a smaller range (--transform log-bins)',
    });
  }
  return { result, trained, prepared: first };
}

/** The run's result from the core's (possibly interrupted) k-fold or single comparison. */
function summarize(
  comparison: FoldedComparisonResult,
  first: PreparedDataset,
  config: ExperimentConfig,
  folds: number,
  started: number,
  warnings: string[],
): ExperimentResult {
  return experimentResult(comparison, {
    dataset: datasetSummary(first, describeSource(config.source)),
    split: summarizeSplit(first, folds),
    k: config.k,
    seed: config.seed,
    seconds: (performance.now() - started) / 1000,
    warnings,
  });
}

function splitFor(choice: SplitChoice, fold: number): SplitOptions {
  return choice.kind === 'kfold'
    ? { method: 'k-fold', folds: choice.folds, fold, validation: choice.validation }
    : choice.options;
}

/** Checks a config before any work: a cache already holds its split, so --split cannot apply. */
export function checkExperiment(config: ExperimentConfig, splitGiven: boolean): void {
  if (config.source.kind === 'cache' && splitGiven)
    throw new UsageError(
      '--split does not apply to --data: the prepared cache holds its own split',
      'prepare it again with the split you want',
    );
  if (config.source.kind === 'cache' && config.transform)
    throw new UsageError('--transform does not apply to --data: the prepared cache holds its own transform');
  const o = config.split.kind === 'single' ? config.split.options : undefined;
  if (config.source.kind !== 'cache' && o?.method === 'random' && !o.test)
    throw new UsageError(
      '--split none leaves nothing to test on',
      'compare needs a test part (e.g. holdout:0.1); use --split none with `autorec train` for a final model',
    );
}

function summarizeSplit(prepared: PreparedDataset, folds: number): SplitSummary {
  const options = prepared.split.options;
  const choice: SplitChoice =
    folds > 1
      ? { kind: 'kfold', folds, validation: options.method === 'k-fold' ? options.validation : undefined }
      : { kind: 'single', options };
  return splitSummary(prepared, describeSplit(choice), folds);
}
