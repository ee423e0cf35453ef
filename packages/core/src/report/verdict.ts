import { itemNoun } from '@autorec/data';
import { bestRows, type ResultColumn } from './columns.ts';
import type { ExperimentResult, ResultRow } from './result.ts';

const AUTOREC_TITLES: Record<string, string> = { 'u-autorec': 'U-AutoRec', 'i-autorec': 'I-AutoRec' };

/**
 * The run's answers, read from the very numbers the table shows (`bestRows` marks the same
 * winners in bold), separately for rating and for ranking:
 * - rating: the lowest test RMSE, and whether it is significantly below the reference's —
 *   no winner with the `binary` transform, where every rating is 1 and RMSE measures nothing;
 * - the paper's question: for each AutoRec, whether it beat SVD on test RMSE, by how much and
 *   whether the paired per-user test says it is more than noise (p < 0.05);
 * - ranking: the highest NDCG@K, against popularity (the line every recommender must beat)
 *   with the paired test over users' NDCG, and which models stayed below popularity.
 *
 * @example
 * verdict(result); // ['Rating: SVD has the lowest test RMSE, 0.8301 …', 'U-AutoRec beat SVD …', 'Ranking: …']
 */
export function verdict(result: ExperimentResult): string[] {
  const parts = verdictParts(result);
  return [...parts.rating, ...parts.protocol, ...parts.ranking];
}

/** The verdict's sentences by question: rating (RMSE, AutoRec vs SVD), the protocol note, ranking. */
export interface VerdictParts {
  rating: string[];
  /** What the protocol means for every number (held-out users); empty for a plain holdout. */
  protocol: string[];
  ranking: string[];
}

/**
 * `verdict`'s sentences apart, so a page can show the rating and the ranking answers under
 * their own headings.
 *
 * @example
 * const { rating, ranking } = verdictParts(result);
 */
export function verdictParts(result: ExperimentResult): VerdictParts {
  const rows = result.results;
  const folds = result.split.folds ? ` (means over ${result.split.folds} folds)` : '';
  const rating: string[] = [];
  const protocol: string[] = [];
  const binary = result.dataset?.transform === 'binary';
  if (binary)
    rating.push(
      'Rating: with the binary transform every rating is 1, so test RMSE measures nothing and no rating winner is declared.',
    );
  else {
    const best = ratingSentence(rows, result.reference, folds);
    if (best) rating.push(best);
    const svd = rows.find((r) => r.model === 'svd');
    const autorecs = rows.filter((r) => r.model in AUTOREC_TITLES);
    if (svd && autorecs.length > 0) rating.push(...autorecs.map((a) => rmseSentence(a, svd, folds)));
    else
      rating.push(
        'This run did not include both SVD and an AutoRec model, so it does not answer whether AutoRec beats SVD.',
      );
  }
  if (result.protocol === 'held-out-users')
    protocol.push(
      'With held-out users the test users are absent from training: each is scored as a new listener from the rest of their plays (fold-in, no retraining), for RMSE and ranking alike.',
    );
  return { rating, protocol, ranking: rankingSentences(rows, result, folds) };
}

/** The column the table marks for a metric, so the verdict names the row printed in bold. */
function winner(rows: readonly ResultRow[], key: string, better: 'lower' | 'higher'): ResultRow | undefined {
  const column: ResultColumn = { key, title: key, better, format: String };
  const at = bestRows(rows, [column]).get(key);
  return at === undefined ? undefined : rows[at];
}

function ratingSentence(rows: readonly ResultRow[], reference: string, folds: string): string | undefined {
  const best = winner(rows, 'rmse', 'lower');
  if (!best) return undefined;
  const ref = rows.find((r) => r.model === reference);
  let tail = '';
  if (ref && ref !== best) {
    const test =
      best.vsReference?.model === reference ? significance(best.vsReference.pValueT, 'squared errors') : '';
    tail = ` (${title(reference)} ${ref.rmse.toFixed(4)}${test})`;
  }
  return `Rating: ${title(best.model)} has the lowest test RMSE${folds}, ${best.rmse.toFixed(4)}${tail}.`;
}

function rmseSentence(a: ResultRow, svd: ResultRow, folds: string): string {
  const name = title(a.model);
  const change = (a.rmse - svd.rmse) / svd.rmse;
  const pct = `${Math.abs(change * 100).toFixed(1)}%`;
  const numbers = `${a.rmse.toFixed(4)} vs ${svd.rmse.toFixed(4)}`;
  if (a.rmse === svd.rmse) return `${name} and SVD tied on test RMSE: ${numbers}${folds}.`;
  const beat = a.rmse < svd.rmse;
  const test = a.vsReference?.model === 'svd' ? significance(a.vsReference.pValueT, 'squared errors') : '';
  return beat
    ? `${name} beat SVD on test RMSE${folds}: ${numbers} (${pct} lower${test}).`
    : `${name} did not beat SVD on test RMSE${folds}: ${numbers} (${pct} higher${test}).`;
}

function rankingSentences(rows: readonly ResultRow[], result: ExperimentResult, folds: string): string[] {
  const k = result.k;
  const key = `ndcg@${k}` as const;
  const best = winner(rows, key, 'higher');
  if (!best) return [];
  const ndcg = (r: ResultRow) => (r[key] as number).toFixed(4);
  const popularity = rows.find((r) => r.model === 'popularity');
  const head = `Ranking: ${title(best.model)} has the highest NDCG@${k}${folds}, ${ndcg(best)}`;
  if (!popularity) return [`${head} (popularity was not in the run, so there is no baseline to beat).`];
  const lines =
    best === popularity
      ? [`${head}: no model beat recommending the most played ${noun(result)} to everyone.`]
      : [`${head}, against popularity's ${ndcg(popularity)}${rankingTest(best)}.`];
  const below = rows.filter(
    (r) =>
      r !== popularity && typeof r[key] === 'number' && (r[key] as number) <= (popularity[key] as number),
  );
  if (below.length > 0)
    lines.push(
      `Not above popularity on NDCG@${k}: ${below.map((r) => `${title(r.model)} ${ndcg(r)}`).join(', ')}.`,
    );
  return lines;
}

function rankingTest(r: ResultRow): string {
  const t = r.rankingVsReference;
  return t?.model === 'popularity' ? significance(t.pValueT, 'NDCG') : '';
}

function noun(result: ExperimentResult): string {
  return itemNoun(result.dataset?.format ?? '');
}

function significance(p: number, over: string): string {
  if (!Number.isFinite(p)) return '';
  const shown = p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`;
  return p < 0.05
    ? `; paired t-test over users' ${over} ${shown}`
    : `; but the difference is not significant, paired t-test over users' ${over} ${shown}`;
}

/** Display name of a model label. */
export function title(model: string): string {
  if (model in AUTOREC_TITLES) return AUTOREC_TITLES[model];
  if (model === 'svd') return 'SVD';
  return model;
}
