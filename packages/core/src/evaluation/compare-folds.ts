import {
  type PairedTTestResult,
  pairedTTest,
  type WilcoxonResult,
  wilcoxonSignedRank,
} from '../metrics/significance.ts';
import type { ModelName } from '../types.ts';
import {
  type CompareOptions,
  type CompareProgress,
  type ComparisonAbort,
  type ComparisonData,
  type ComparisonResult,
  compareModels,
  type ModelComparison,
} from './compare.ts';
import { type MeanSd, meanSd } from './cross-validation.ts';
import { comparePerUser, type PairedComparison } from './significance.ts';

/** A paired test of one metric across folds: fold f of model A against fold f of the reference. */
export interface FoldPairedTest {
  /** Folds both models finished. */
  folds: number;
  /** Mean over folds of A − reference. */
  meanDifference: number;
  tTest: PairedTTestResult;
  /** With k folds the smallest two-sided exact p is 2 / 2^k (0.0625 for 5): read it with the t-test. */
  wilcoxon: WilcoxonResult;
}

/** One model over every fold: each metric's per-fold values with mean ± sd, and its tests. */
export interface FoldedModelComparison {
  label: string;
  model: ModelName;
  /** `comparisonMetrics` names (rmse, ndcg@10, trainSeconds, …) → per-fold values, mean, sd. */
  metrics: Record<string, MeanSd>;
  /** Tests against the reference model (absent for the reference itself). */
  significance?: {
    against: string;
    /** Per metric, paired over folds. */
    acrossFolds: Record<string, FoldPairedTest>;
    /** Paired over users, each user's per-user MSE (and NDCG at the first K) averaged over the folds that test them. */
    userMse?: PairedComparison;
    userNdcg?: PairedComparison;
  };
  /** Per-user NDCG (averaged over folds) against the ranking reference (absent for it). */
  rankingSignificance?: { against: string; userNdcg: PairedComparison };
}

export interface FoldedComparisonResult {
  protocol: ComparisonResult['protocol'];
  reference: string;
  rankingReference: string;
  seed: number;
  /** Folds every model finished. */
  folds: number;
  /** The full comparison of each finished fold (curves, per-fold significance, and fold 0's trained models when kept). */
  perFold: ComparisonResult[];
  /** Models of the first fold, in order, summarised over the finished folds. */
  models: FoldedModelComparison[];
  /**
   * Present when the signal fired: the fold in progress, where it stood, and that fold's
   * finished models (`partial`, complete rows only; its trained models are disposed of).
   */
  aborted?: ComparisonAbort & { fold: number; partial?: ComparisonResult };
}

export interface FoldedCompareOptions extends Omit<CompareOptions, 'keepModels' | 'onProgress'> {
  /** Keep the models trained on the first fold (in `perFold[0].trained`). */
  keepFirstFoldModels?: boolean;
  onProgress?: (event: CompareProgress & { fold: number }) => void;
  /** Called when a fold is done (e.g. to free its data). */
  onFold?: (result: ComparisonResult, fold: number) => void;
}

/**
 * k-fold comparison: `compareModels` on each fold (validation carved from the fold's training
 * part, as the data package's `k-fold` split with `validation` gives, so early stopping
 * works), then per model and metric the per-fold values with mean ± sd, and paired tests of
 * every model against the reference: across folds (t-test and Wilcoxon over the k per-fold
 * values of each metric) and over users (each user's per-user MSE and NDCG averaged over the
 * folds that test them). Folds are consumed one at a time, so a lazy generator keeps one fold's
 * data in memory. Pure: no I/O.
 *
 * An abort resolves with the folds every model finished and `aborted` saying where it stopped
 * (models of an unfinished fold are disposed of).
 *
 * @example
 * const folds = preparedFolds(dataset, { folds: 5, validation: 0.1, seed: 42 });
 * const r = await compareModelsAcrossFolds(folds, { models: ['svd', 'baseline', 'popularity'] });
 * r.models[1].metrics.rmse; // { mean, sd, values: [5 folds] }
 * r.models[1].significance?.acrossFolds.rmse.tTest.pValue;
 */
export async function compareModelsAcrossFolds(
  folds: Iterable<ComparisonData>,
  options: FoldedCompareOptions,
): Promise<FoldedComparisonResult> {
  const perFold: ComparisonResult[] = [];
  let aborted: FoldedComparisonResult['aborted'];
  let fold = 0;
  for (const data of folds) {
    const result = await compareModels(data, {
      ...options,
      keepModels: fold === 0 && options.keepFirstFoldModels,
      onProgress: options.onProgress && ((e) => options.onProgress?.({ ...e, fold })),
    });
    if (result.aborted) {
      for (const m of result.trained ?? []) m.dispose();
      aborted = { ...result.aborted, fold, partial: { ...result, trained: undefined } };
      break;
    }
    perFold.push(result);
    options.onFold?.(result, fold);
    fold++;
    if (options.signal?.aborted) {
      aborted = { notStarted: [], reason: options.signal.reason, fold };
      break;
    }
  }
  if (perFold.length === 0 && !aborted)
    throw new RangeError('compareModelsAcrossFolds: no folds given (empty input)');
  const head = perFold[0];
  const result: FoldedComparisonResult = {
    protocol: head?.protocol ?? 'holdout',
    reference: head?.reference ?? '',
    rankingReference: head?.rankingReference ?? '',
    seed: head?.seed ?? options.seed ?? 42,
    folds: perFold.length,
    perFold,
    models: head ? summarizeFolds(perFold) : [],
  };
  if (aborted) result.aborted = aborted;
  return result;
}

/**
 * A model's row as flat named numbers: `rmse`, `mae`, `warmRmse`, `coldRmse`, every ranking
 * metric at every K (`ndcg@10`, `truncatedRecall@20`, `popularity@10`, …), `trainSeconds`,
 * `epochs`, `bestEpoch`. Missing or non-finite values are left out.
 *
 * @example
 * comparisonMetrics(result.models[0])['ndcg@10'];
 */
export function comparisonMetrics(m: ModelComparison): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (key: string, v: number | undefined) => {
    if (v !== undefined && Number.isFinite(v)) out[key] = v;
  };
  put('rmse', m.rating.rmse);
  put('mae', m.rating.mae);
  put('warmRmse', m.rating.warm.rmse);
  put('coldRmse', m.rating.cold.rmse);
  for (const atK of m.ranking?.atK ?? [])
    for (const [name, v] of Object.entries(atK)) if (name !== 'k') put(`${name}@${atK.k}`, v);
  put('trainSeconds', m.trainSeconds);
  put('epochs', m.epochs);
  put('bestEpoch', m.bestEpoch);
  return out;
}

/**
 * Per-model summaries of finished folds, models of the first fold in order, matched across folds
 * by label (a model whose training diverged in a fold has no row there: its values are of the
 * folds it finished, and tests pair only those folds).
 */
function summarizeFolds(perFold: ComparisonResult[]): FoldedModelComparison[] {
  const head = perFold[0];
  const byLabel = perFold.map((c) => new Map(c.models.map((m) => [m.label, m])));
  const metricsOf = (fold: number, label: string) => {
    const m = byLabel[fold].get(label);
    return m ? comparisonMetrics(m) : undefined;
  };
  const metricsByFold = head.models.map((m) => perFold.map((_, f) => metricsOf(f, m.label)));
  const summaries = head.models.map((m, j): FoldedModelComparison => {
    const names = new Set(metricsByFold[j].flatMap((x) => (x ? Object.keys(x) : [])));
    const metrics: Record<string, MeanSd> = {};
    for (const name of names) {
      const values = metricsByFold[j].map((x) => x?.[name]).filter((v) => v !== undefined);
      if (values.length > 0) metrics[name] = meanSd(values);
    }
    return { label: m.label, model: m.model, metrics };
  });
  const q = head.models.findIndex((m) => m.label === head.rankingReference);
  for (let j = 0; j < summaries.length && q >= 0; j++) {
    const userNdcg =
      j === q ? undefined : pooledUserTest(byLabel, summaries[j].label, summaries[q].label, 'ndcg');
    if (userNdcg) summaries[j].rankingSignificance = { against: head.rankingReference, userNdcg };
  }
  const r = head.models.findIndex((m) => m.label === head.reference);
  if (r < 0) return summaries;
  for (let j = 0; j < summaries.length; j++) {
    if (j === r) continue;
    const acrossFolds: Record<string, FoldPairedTest> = {};
    for (const name of Object.keys(summaries[j].metrics)) {
      if (name === 'epochs' || name === 'bestEpoch' || name === 'trainSeconds') continue;
      const a: number[] = [];
      const b: number[] = [];
      for (let f = 0; f < perFold.length; f++) {
        const x = metricsByFold[j][f]?.[name];
        const y = metricsByFold[r][f]?.[name];
        if (x !== undefined && y !== undefined) {
          a.push(x);
          b.push(y);
        }
      }
      if (a.length < 2) continue;
      const t = pairedTTest(a, b);
      acrossFolds[name] = {
        folds: a.length,
        meanDifference: t.meanDifference,
        tTest: t,
        wilcoxon: wilcoxonSignedRank(a, b),
      };
    }
    summaries[j].significance = {
      against: head.reference,
      acrossFolds,
      userMse: pooledUserTest(byLabel, summaries[j].label, summaries[r].label, 'mse'),
      userNdcg: pooledUserTest(byLabel, summaries[j].label, summaries[r].label, 'ndcg'),
    };
  }
  return summaries;
}

/**
 * Paired test over users of one per-user metric (the values `compareModels` tested each fold
 * with), each user's value averaged over the folds that test them (folds where both finished).
 */
function pooledUserTest(
  byLabel: Map<string, ModelComparison>[],
  label: string,
  reference: string,
  metric: 'mse' | 'ndcg',
): PairedComparison | undefined {
  const a = new Map<number, [number, number]>();
  const b = new Map<number, [number, number]>();
  for (const fold of byLabel) {
    const pa = fold.get(label)?.perUser[metric];
    const pb = fold.get(reference)?.perUser[metric];
    if (!pa || !pb) continue;
    add(a, pa.users, pa.values);
    add(b, pb.users, pb.values);
  }
  const users = Uint32Array.from([...a.keys()].filter((u) => b.has(u))).sort();
  if (users.length < 2) return undefined;
  const mean = (m: Map<number, [number, number]>) =>
    Float64Array.from(users, (u) => {
      const [s, n] = m.get(u)!;
      return s / n;
    });
  return comparePerUser({ users, values: mean(a) }, { users, values: mean(b) });
}

function add(into: Map<number, [number, number]>, users: Uint32Array, values: ArrayLike<number>): void {
  for (let q = 0; q < users.length; q++) {
    const e = into.get(users[q]);
    if (e) {
      e[0] += values[q];
      e[1]++;
    } else into.set(users[q], [values[q], 1]);
  }
}
