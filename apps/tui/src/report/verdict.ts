import type { ExperimentResult, ResultRow } from '../experiment.ts';

const AUTOREC_TITLES: Record<string, string> = { 'u-autorec': 'U-AutoRec', 'i-autorec': 'I-AutoRec' };

/**
 * The paper's question answered from the numbers: for each AutoRec in the run, whether it
 * beat SVD on test RMSE, by how much, and whether the paired per-user test says the
 * difference is more than noise (p < 0.05). Says plainly when the run cannot answer.
 *
 * @example
 * verdict(result); // ['U-AutoRec beat SVD on test RMSE: 0.8301 vs 0.9208 (9.9% lower; …).']
 */
export function verdict(result: ExperimentResult): string[] {
  const rows = result.results;
  const svd = rows.find((r) => r.model === 'svd');
  const autorecs = rows.filter((r) => r.model in AUTOREC_TITLES);
  if (!svd || autorecs.length === 0)
    return [
      'This run did not include both SVD and an AutoRec model, so it does not answer whether AutoRec beats SVD.',
    ];
  const lines = autorecs.map((a) => rmseSentence(a, svd, result));
  if (result.protocol === 'held-out-users')
    lines.push(
      'With held-out users the test users are absent from training: each is scored as a new listener from the rest of their plays (fold-in, no retraining), for RMSE and ranking alike.',
    );
  const k = result.k;
  const key = `ndcg@${k}` as const;
  const ranked = [svd, ...autorecs].filter((r) => typeof r[key] === 'number');
  if (ranked.length === 1 + autorecs.length) {
    const best = ranked.reduce((a, b) => ((b[key] as number) > (a[key] as number) ? b : a));
    lines.push(
      `On ranking (NDCG@${k}, training songs excluded) ${title(best.model)} was best: ` +
        ranked.map((r) => `${title(r.model)} ${(r[key] as number).toFixed(4)}`).join(', ') +
        '.',
    );
  }
  return lines;
}

function rmseSentence(a: ResultRow, svd: ResultRow, result: ExperimentResult): string {
  const name = title(a.model);
  const change = (a.rmse - svd.rmse) / svd.rmse;
  const pct = `${Math.abs(change * 100).toFixed(1)}%`;
  const numbers = `${a.rmse.toFixed(4)} vs ${svd.rmse.toFixed(4)}`;
  const folds = result.split.folds ? ` (means over ${result.split.folds} folds)` : '';
  if (a.rmse === svd.rmse) return `${name} and SVD tied on test RMSE: ${numbers}${folds}.`;
  const beat = a.rmse < svd.rmse;
  const test = a.vsReference?.model === 'svd' ? significance(a.vsReference.pValueT) : '';
  return beat
    ? `${name} beat SVD on test RMSE${folds}: ${numbers} (${pct} lower${test}).`
    : `${name} did not beat SVD on test RMSE${folds}: ${numbers} (${pct} higher${test}).`;
}

function significance(p: number): string {
  if (!Number.isFinite(p)) return '';
  const shown = p < 0.001 ? 'p < 0.001' : `p = ${p.toFixed(3)}`;
  return p < 0.05
    ? `; paired t-test over users' squared errors ${shown}`
    : `; but the difference is not significant, paired t-test over users ${shown}`;
}

/** Display name of a model label. */
export function title(model: string): string {
  if (model in AUTOREC_TITLES) return AUTOREC_TITLES[model];
  if (model === 'svd') return 'SVD';
  return model;
}
