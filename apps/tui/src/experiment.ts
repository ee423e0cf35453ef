import {
  type CompareProgress,
  type ComparisonResult,
  compareModelsAcrossFolds,
  DEFAULT_RANKING_KS,
  type EpochRecord,
  type FoldedComparisonResult,
  type ModelComparison,
  type ModelName,
  type ModelParams,
  type PairedComparison,
  type Recommender,
} from '@autorec/core';
import {
  type Dataset,
  datasetStats,
  nnz,
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

/** The ranking metrics a result row carries at each K (the fields of core's `RankingAtK`). */
export const RANKING_METRICS = [
  'precision',
  'recall',
  'truncatedRecall',
  'ndcg',
  'map',
  'hitRate',
  'coverage',
  'popularity',
] as const;
export type RankingMetricName = (typeof RANKING_METRICS)[number];

/** The dataset as the report describes it. */
export interface DatasetSummary {
  name: string;
  source: string;
  format: string;
  users: number;
  items: number;
  interactions: number;
  plays: number;
  density: number;
  transform: string;
  scale: { min: number; max: number };
  filter?: { minItemsPerUser: number; minUsersPerItem: number };
}

/** The split as the report describes it (interaction counts of the first fold for k-fold). */
export interface SplitSummary {
  method: string;
  description: string;
  seed: number;
  folds?: number;
  train: number;
  validation: number;
  test: number;
  coldTest: number;
}

/** One row of the comparison table: the fields of `results.json`. */
export interface ResultRow {
  model: string;
  rmse: number;
  mae: number;
  rmseWarm: number | null;
  rmseCold: number | null;
  /** Ranking metrics at every K evaluated (10, 20, 50, 100 and --k): see `RankingAtK`. */
  [metric: `${RankingMetricName}@${number}`]: number | null;
  trainSeconds: number;
  epochs: number;
  bestEpoch: number;
  backend: string;
  hyperParameters: Record<string, number | string | boolean>;
  /**
   * Paired tests of per-user squared error against the reference model (absent for it); with
   * k-fold, each user's error averaged over the folds.
   */
  vsReference?: { model: string; pValueT: number; pValueWilcoxon: number; meanMseDelta: number };
  /** Paired tests of per-user NDCG at the table's K against the ranking reference (popularity when present). */
  rankingVsReference?: {
    model: string;
    k: number;
    pValueT: number;
    pValueWilcoxon: number;
    meanNdcgDelta: number;
  };
  /** Standard deviation over folds (k-fold only). */
  sd?: Record<string, number>;
  /** Every fold's value of each metric, in fold order (k-fold only). */
  perFold?: Record<string, number[]>;
  /** Paired tests over the folds' values of each metric against the reference (k-fold only). */
  acrossFolds?: Record<
    string,
    { folds: number; meanDifference: number; pValueT: number; pValueWilcoxon: number }
  >;
}

export interface ExperimentResult {
  dataset: DatasetSummary;
  split: SplitSummary;
  /** Compute backends used, distinct, in model order (e.g. `js, wasm+wasm-simd`). */
  backend: string;
  protocol: ComparisonResult['protocol'];
  reference: string;
  /** The model ranking is tested against (`rankingVsReference`): popularity when in the run. */
  rankingReference: string;
  k: number;
  seed: number;
  results: ResultRow[];
  /** The core's full comparison (of the first fold for k-fold): curves, significance. */
  comparisons: ModelComparison[];
  /** Every fold's learning curve and kept epoch, by model in `comparisons` order (one fold for a single split). */
  foldCurves?: { label: string; curves: EpochRecord[][]; keptEpochs: number[] }[];
  seconds: number;
  /**
   * What a reader of the numbers must know: bad lines skipped (--lenient), models whose training
   * diverged (left out of the table, or kept at an earlier epoch). Printed, and in the report.
   */
  warnings?: string[];
}

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
    onFold: (c, fold) => {
      const where = folds > 1 ? ` (fold ${fold + 1})` : '';
      for (const d of c.diverged ?? []) warnings.push(`${d.message}${where}: left out of the results`);
      for (const m of c.models)
        if (m.diverged) warnings.push(`${m.diverged}${where}: kept epoch ${m.bestEpoch}, the best before it`);
    },
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
  // With no fold finished, the interrupted fold's finished models are shown (one partial fold).
  const perFold =
    comparison.perFold.length > 0
      ? comparison.perFold
      : comparison.aborted?.partial
        ? [comparison.aborted.partial]
        : [];
  const head = perFold[0];
  const models = head?.models ?? [];
  return {
    dataset: summarizeDataset(first, config.source),
    split: summarizeSplit(first, folds),
    backend: distinct(models.map((m) => m.backend)).join(', '),
    protocol: head?.protocol ?? comparison.protocol,
    reference: head?.reference ?? comparison.reference,
    rankingReference: head?.rankingReference ?? comparison.rankingReference,
    k: config.k,
    seed: config.seed,
    results: perFold.length > 1 ? foldRows(comparison, config.k) : models.map((m) => toRow(m, config.k)),
    comparisons: models,
    foldCurves: models.map((m) => ({
      label: m.label,
      curves: perFold.map((c) => c.models.find((x) => x.label === m.label)?.curve ?? []),
      keptEpochs: perFold.map((c) => c.models.find((x) => x.label === m.label)?.bestEpoch ?? 0),
    })),
    seconds: (performance.now() - started) / 1000,
    warnings,
  };
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

function summarizeDataset(prepared: PreparedDataset, source: DataSource): DatasetSummary {
  const s = datasetStats(prepared.dataset.counts);
  const summary: DatasetSummary = {
    name: prepared.dataset.name,
    source: describeSource(source),
    format: prepared.dataset.format,
    users: s.users,
    items: s.items,
    interactions: s.interactions,
    plays: s.plays,
    density: s.density,
    transform: prepared.transform.name,
    scale: prepared.transform.scale,
  };
  const f = prepared.params.filter;
  if (f) summary.filter = { minItemsPerUser: f.minItemsPerUser, minUsersPerItem: f.minUsersPerItem };
  return summary;
}

function summarizeSplit(prepared: PreparedDataset, folds: number): SplitSummary {
  const { split, ratings } = prepared;
  const options = split.options;
  const choice: SplitChoice =
    folds > 1
      ? { kind: 'kfold', folds, validation: options.method === 'k-fold' ? options.validation : undefined }
      : { kind: 'single', options };
  const summary: SplitSummary = {
    method: options.method,
    description: describeSplit(choice),
    seed: split.seed,
    train: nnz(ratings.train),
    validation: ratings.validation ? nnz(ratings.validation) : 0,
    test: nnz(ratings.test),
    coldTest: split.cold.test.interactions,
  };
  if (folds > 1) summary.folds = folds;
  return summary;
}

/**
 * k-fold rows: each metric's mean over folds, its sd in `sd` and the per-fold values in
 * `perFold` (all from core's `compareModelsAcrossFolds`); the tests against the reference are
 * the core's: over users (each user's value averaged over folds) and across folds.
 */
function foldRows(comparison: FoldedComparisonResult, k: number): ResultRow[] {
  const head = comparison.perFold[0];
  return comparison.models.map((summary, j) => {
    const row = toRow(head.models[j], k);
    const record = row as unknown as Record<string, number | null>;
    row.sd = {};
    row.perFold = {};
    for (const [name, { mean, sd, values }] of Object.entries(summary.metrics)) {
      const key = ROW_KEYS[name] ?? name;
      if (key === 'epochs' || key === 'bestEpoch') continue;
      record[key] = mean;
      row.sd[key] = sd;
      row.perFold[key] = values;
    }
    row.perFold.epochs = summary.metrics.epochs?.values ?? [];
    row.perFold.bestEpoch = summary.metrics.bestEpoch?.values ?? [];
    delete row.vsReference;
    delete row.rankingVsReference;
    if (summary.rankingSignificance)
      row.rankingVsReference = ndcgTest(
        summary.rankingSignificance.against,
        k,
        summary.rankingSignificance.userNdcg,
      );
    const s = summary.significance;
    if (s) {
      if (s.userMse) row.vsReference = mseTest(s.against, s.userMse);
      row.acrossFolds = {};
      for (const [name, t] of Object.entries(s.acrossFolds))
        row.acrossFolds[ROW_KEYS[name] ?? name] = {
          folds: t.folds,
          meanDifference: t.meanDifference,
          pValueT: t.tTest.pValue,
          pValueWilcoxon: t.wilcoxon.pValue,
        };
    }
    return row;
  });
}

/** Core metric names whose result-row field is named differently. */
const ROW_KEYS: Record<string, string> = { warmRmse: 'rmseWarm', coldRmse: 'rmseCold' };

function mseTest(against: string, t: PairedComparison): NonNullable<ResultRow['vsReference']> {
  return {
    model: against,
    pValueT: t.tTest.pValue,
    pValueWilcoxon: t.wilcoxon.pValue,
    meanMseDelta: t.tTest.meanDifference,
  };
}

function ndcgTest(
  against: string,
  k: number,
  t: PairedComparison,
): NonNullable<ResultRow['rankingVsReference']> {
  return {
    model: against,
    k,
    pValueT: t.tTest.pValue,
    pValueWilcoxon: t.wilcoxon.pValue,
    meanNdcgDelta: t.tTest.meanDifference,
  };
}

function toRow(m: ModelComparison, k: number): ResultRow {
  const row = {
    model: m.label,
    rmse: m.rating.rmse,
    mae: m.rating.mae,
    rmseWarm: m.rating.warm.rmse ?? null,
    rmseCold: m.rating.cold.rmse ?? null,
    ...rankingFields(m, k),
    trainSeconds: m.trainSeconds,
    epochs: m.epochs,
    bestEpoch: m.bestEpoch,
    backend: m.backend,
    hyperParameters: m.hyperParameters,
  } as ResultRow;
  if (m.significance) row.vsReference = mseTest(m.significance.against, m.significance.userMse);
  if (m.rankingSignificance)
    row.rankingVsReference = ndcgTest(m.rankingSignificance.against, k, m.rankingSignificance.userNdcg);
  return row;
}

/** `ndcg@10`, `recall@20`, … for every K evaluated; null at the table's K when ranking was skipped. */
function rankingFields(m: ModelComparison, k: number): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  const atKs = m.ranking?.atK ?? [];
  if (!atKs.some((r) => r.k === k)) for (const name of RANKING_METRICS) out[`${name}@${k}`] = null;
  for (const atK of atKs)
    for (const name of RANKING_METRICS)
      out[`${name}@${atK.k}`] = Number.isFinite(atK[name]) ? atK[name] : null;
  return out;
}

function distinct<T>(values: T[]): T[] {
  return [...new Set(values)];
}
