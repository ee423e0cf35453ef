import {
  type CompareProgress,
  type ComparisonResult,
  compareModels,
  type EpochRecord,
  type ModelComparison,
  type ModelName,
  type ModelParams,
  meanSd,
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
import { resultColumns } from './report/columns.ts';
import {
  cacheWarnings,
  type DataSource,
  describeSource,
  loadPrepared,
  readDataset,
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
}

/** A progress event of the run: the core's comparison event plus the fold it belongs to. */
export type ExperimentEvent =
  | ({ type: 'model' } & CompareProgress & { fold: number; folds: number })
  | { type: 'stage'; message: string };

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
  [metric: `${'precision' | 'recall' | 'ndcg'}@${number}`]: number | null;
  trainSeconds: number;
  epochs: number;
  bestEpoch: number;
  backend: string;
  hyperParameters: Record<string, number | string | boolean>;
  /** Paired tests of per-user squared error against the reference model (absent for it). */
  vsReference?: { model: string; pValueT: number; pValueWilcoxon: number; meanMseDelta: number };
  /** Standard deviation over folds (k-fold only). */
  sd?: Record<string, number>;
}

export interface ExperimentResult {
  dataset: DatasetSummary;
  split: SplitSummary;
  /** Compute backends used, distinct, in model order (e.g. `js, wasm+wasm-simd`). */
  backend: string;
  protocol: ComparisonResult['protocol'];
  reference: string;
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
  let folds = 1;
  if (config.source.kind === 'cache') {
    first = await loadPrepared(config.source.path);
  } else {
    dataset = await readDataset(config.source);
    const split = splitFor(config.split, 0);
    folds = config.split.kind === 'kfold' ? config.split.folds : 1;
    onEvent?.({ type: 'stage', message: `splitting (${describeSplit(config.split)}, seed ${config.seed})` });
    first = prepareDataset(dataset, { split, seed: config.seed, transform: config.transform });
  }
  const perFold: ComparisonResult[] = [];
  const warnings =
    config.source.kind === 'cache' ? await cacheWarnings(config.source.path) : skippedLineWarnings(dataset!);
  let trained: Recommender[] = [];
  try {
    for (let fold = 0; fold < folds; fold++) {
      const prepared =
        fold === 0
          ? first
          : prepareDataset(dataset!, {
              split: splitFor(config.split, fold),
              seed: config.seed,
              transform: config.transform,
            });
      const comparison = await compareModels(prepared, {
        models: config.models.map((name) => ({ name, params: config.params[name] ?? {} })),
        seed: config.seed,
        ranking: { k: config.k, maxUsers: config.maxUsers },
        keepModels: fold === 0,
        signal,
        onProgress: (e) => onEvent?.({ type: 'model', ...e, fold, folds }),
      });
      if (fold === 0) trained = comparison.trained ?? [];
      if (comparison.aborted) {
        const { model, stage, notStarted, reason } = comparison.aborted;
        const finished = perFold.length > 0 ? perFold : [comparison];
        throw new ExperimentInterruptedError(
          reason instanceof Error ? reason.message : 'interrupted',
          summarize(finished, first, config, folds, started, warnings),
          { model, stage, notStarted, fold, folds, completeFolds: perFold.length },
        );
      }
      perFold.push(comparison);
      const where = folds > 1 ? ` (fold ${fold + 1})` : '';
      for (const d of comparison.diverged ?? [])
        warnings.push(`${d.message}${where}: left out of the results`);
      for (const m of comparison.models)
        if (m.diverged) warnings.push(`${m.diverged}${where}: kept epoch ${m.bestEpoch}, the best before it`);
    }
  } catch (error) {
    for (const m of trained) m.dispose();
    if (error instanceof ExperimentInterruptedError) throw error;
    if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new InterruptedError();
    throw error;
  }
  const result = summarize(perFold, first, config, folds, started, warnings);
  if (result.results.length === 0)
    throw new UserError(`no model finished training: ${warnings.join('; ')}`, {
      hint: 'lower the learning rate (--lr) or --lambda, or use a transform with a smaller range (--transform log-bins)',
    });
  return { result, trained, prepared: first };
}

/** The run's result from per-fold comparisons (of finished folds, or one partial fold). */
function summarize(
  perFold: ComparisonResult[],
  first: PreparedDataset,
  config: ExperimentConfig,
  folds: number,
  started: number,
  warnings: string[],
): ExperimentResult {
  const head = perFold[0];
  return {
    dataset: summarizeDataset(first, config.source),
    split: summarizeSplit(first, folds),
    backend: distinct(head.models.map((m) => m.backend)).join(', '),
    protocol: head.protocol,
    reference: head.reference,
    k: config.k,
    seed: config.seed,
    results: combineFolds(perFold, config.k),
    comparisons: head.models,
    foldCurves: head.models.map((m) => ({
      label: m.label,
      curves: perFold.map((c) => c.models.find((x) => x.label === m.label)?.curve ?? []),
      keptEpochs: perFold.map((c) => c.models.find((x) => x.label === m.label)?.bestEpoch ?? 0),
    })),
    seconds: (performance.now() - started) / 1000,
    warnings,
  };
}

function splitFor(choice: SplitChoice, fold: number): SplitOptions {
  return choice.kind === 'kfold' ? { method: 'k-fold', folds: choice.folds, fold } : choice.options;
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
  const choice: SplitChoice = folds > 1 ? { kind: 'kfold', folds } : { kind: 'single', options };
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
 * Table rows: the single comparison as is, or k-fold means with standard deviations of every
 * column the table shows (so each cell can print its ± sd).
 */
function combineFolds(perFold: ComparisonResult[], k: number): ResultRow[] {
  const rowsByFold = perFold.map((c) => c.models.map((m) => toRow(m, k)));
  const head = rowsByFold[0];
  if (perFold.length === 1) return head;
  const metrics = resultColumns(k).map((c) => c.key);
  return head.map((row) => {
    const out: ResultRow = { ...row, sd: {} };
    const record = out as unknown as Record<string, number | null>;
    for (const key of metrics) {
      // By label: a model that diverged in one fold has no row there.
      const values = rowsByFold
        .map((rows) => rows.find((r) => r.model === row.model) as unknown as Record<string, number | null>)
        .map((r) => r?.[key])
        .filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      if (values.length === 0) continue;
      const { mean, sd } = meanSd(values);
      record[key] = mean;
      out.sd![key] = sd;
    }
    delete out.vsReference; // per-fold tests do not combine into one p-value
    return out;
  });
}

function toRow(m: ModelComparison, k: number): ResultRow {
  const atK = m.ranking?.atK.find((r) => r.k === k);
  const row = {
    model: m.label,
    rmse: m.rating.rmse,
    mae: m.rating.mae,
    rmseWarm: m.rating.warm.rmse ?? null,
    rmseCold: m.rating.cold.rmse ?? null,
    [`precision@${k}`]: atK?.precision ?? null,
    [`recall@${k}`]: atK?.recall ?? null,
    [`ndcg@${k}`]: atK?.ndcg ?? null,
    trainSeconds: m.trainSeconds,
    epochs: m.epochs,
    bestEpoch: m.bestEpoch,
    backend: m.backend,
    hyperParameters: m.hyperParameters,
  } as ResultRow;
  if (m.significance)
    row.vsReference = {
      model: m.significance.against,
      pValueT: m.significance.userMse.tTest.pValue,
      pValueWilcoxon: m.significance.userMse.wilcoxon.pValue,
      meanMseDelta: m.significance.userMse.tTest.meanDifference,
    };
  return row;
}

function distinct<T>(values: T[]): T[] {
  return [...new Set(values)];
}
