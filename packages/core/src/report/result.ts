import { datasetStats, nnz, type PreparedDataset } from '@autorec/data';
import type { ComparisonResult, ModelComparison } from '../evaluation/compare.ts';
import type { FoldedComparisonResult } from '../evaluation/compare-folds.ts';
import type { PairedComparison } from '../evaluation/significance.ts';
import type { EpochRecord } from '../types.ts';

/** The ranking metrics a result row carries at each K (the fields of `RankingAtK`). */
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
  /** Where the data came from, in words (a path, a preset, a file the user picked). */
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
  /** Ranking metrics at every K evaluated (10, 20, 50, 100 and the table's K): see `RankingAtK`. */
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

/**
 * A comparison run as every front end reports it (CLI, TUI, web): the numbers of the table,
 * the curves and the facts the verdict and report read.
 */
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
   * What a reader of the numbers must know: bad lines skipped (lenient reading), models whose
   * training diverged (left out of the table, or kept at an earlier epoch).
   */
  warnings?: string[];
}

/** What the result needs besides the comparison: the data, the split and the run's settings. */
export interface ExperimentFacts {
  dataset: DatasetSummary;
  split: SplitSummary;
  /** The table's ranking cut-off. */
  k: number;
  seed: number;
  seconds: number;
  warnings?: string[];
}

/**
 * The run's result from the core's comparison: a single split's `compareModels` result, or
 * `compareModelsAcrossFolds`' (possibly interrupted) k-fold result, whose rows are means over
 * the finished folds with their sd and per-fold values.
 *
 * @example
 * const comparison = await compareModels(prepared, { models: ['svd', 'i-autorec'], ranking: { k: 10 } });
 * const result = experimentResult(comparison, {
 *   dataset: datasetSummary(prepared, 'preset default'), split: splitSummary(prepared),
 *   k: 10, seed: 42, seconds: 12.5,
 * });
 * verdict(result);
 */
export function experimentResult(
  comparison: ComparisonResult | FoldedComparisonResult,
  facts: ExperimentFacts,
): ExperimentResult {
  const folded = 'perFold' in comparison;
  // With no fold finished, the interrupted fold's finished models are shown (one partial fold).
  const perFold = folded
    ? comparison.perFold.length > 0
      ? comparison.perFold
      : comparison.aborted?.partial
        ? [comparison.aborted.partial]
        : []
    : [comparison];
  const head = perFold[0];
  const models = head?.models ?? [];
  const { k } = facts;
  const result: ExperimentResult = {
    dataset: facts.dataset,
    split: facts.split,
    backend: [...new Set(models.map((m) => m.backend))].join(', '),
    protocol: head?.protocol ?? comparison.protocol,
    reference: head?.reference ?? comparison.reference,
    rankingReference: head?.rankingReference ?? comparison.rankingReference,
    k,
    seed: facts.seed,
    results: folded && perFold.length > 1 ? foldRows(comparison, k) : models.map((m) => comparisonRow(m, k)),
    comparisons: models,
    foldCurves: models.map((m) => ({
      label: m.label,
      curves: perFold.map((c) => c.models.find((x) => x.label === m.label)?.curve ?? []),
      keptEpochs: perFold.map((c) => c.models.find((x) => x.label === m.label)?.bestEpoch ?? 0),
    })),
    seconds: facts.seconds,
  };
  if (facts.warnings) result.warnings = facts.warnings;
  return result;
}

/**
 * What a reader of one comparison's numbers must know about diverged training: models left out
 * of the table (no finite epoch to keep) and models kept at an earlier epoch. `where` names the
 * fold, e.g. ` (fold 2)`.
 *
 * @example
 * warnings.push(...divergenceWarnings(comparison));
 */
export function divergenceWarnings(comparison: ComparisonResult, where = ''): string[] {
  const out: string[] = [];
  for (const d of comparison.diverged ?? []) out.push(`${d.message}${where}: left out of the results`);
  for (const m of comparison.models)
    if (m.diverged) out.push(`${m.diverged}${where}: kept epoch ${m.bestEpoch}, the best before it`);
  return out;
}

/**
 * The dataset of a prepared split as the report describes it.
 *
 * @example
 * datasetSummary(prepared, 'user_artists.dat (picked in the browser)').density;
 */
export function datasetSummary(prepared: PreparedDataset, source: string): DatasetSummary {
  const s = datasetStats(prepared.dataset.counts);
  const summary: DatasetSummary = {
    name: prepared.dataset.name,
    source,
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

/**
 * The split of a prepared dataset as the report describes it: `description` in words (the
 * front end's, e.g. how its user wrote it) and the interaction counts of this (first) fold.
 */
export function splitSummary(prepared: PreparedDataset, description: string, folds = 1): SplitSummary {
  const { split, ratings } = prepared;
  const summary: SplitSummary = {
    method: split.options.method,
    description,
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
 * `perFold` (all from `compareModelsAcrossFolds`); the tests against the reference are the
 * core's: over users (each user's value averaged over folds) and across folds.
 */
function foldRows(comparison: FoldedComparisonResult, k: number): ResultRow[] {
  const head = comparison.perFold[0];
  return comparison.models.map((summary, j) => {
    const row = comparisonRow(head.models[j], k);
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

/** One model's row of the table, ranking metrics at every K evaluated. */
export function comparisonRow(m: ModelComparison, k: number): ResultRow {
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
