import { describe, expect, it } from 'vitest';
import { hyperParameterLine } from './markdown.ts';
import type { ExperimentResult, ResultRow } from './result.ts';
import { verdict } from './verdict.ts';

// Report wording that issue 14 (item 7) lists, one test each.

function row(model: string, rmse: number, extra: Partial<ResultRow> = {}): ResultRow {
  return {
    model,
    rmse,
    mae: rmse - 0.2,
    rmseWarm: rmse,
    rmseCold: null,
    'precision@10': 0.1,
    'recall@10': 0.2,
    'ndcg@10': model === 'svd' ? 0.2 : 0.1,
    trainSeconds: 1,
    epochs: 10,
    bestEpoch: 10,
    backend: 'js',
    hyperParameters: {},
    ...extra,
  };
}

describe('report wording', () => {
  it("a model's default epochs show as the epochs it ran, and the kept epoch only when early stopping chose it", () => {
    const baseline = hyperParameterLine(
      row('baseline', 1, { hyperParameters: { method: 'als', epochs: 0 }, epochs: 10, bestEpoch: 10 }),
    );
    expect(baseline).not.toContain('epochs=0');
    expect(baseline).toContain('epochs=10 (its default)');
    expect(baseline).toContain('ran 10 epochs, kept the last');
    const autorec = hyperParameterLine(
      row('u-autorec', 1, { hyperParameters: { epochs: 40 }, epochs: 22, bestEpoch: 12 }),
    );
    expect(autorec).toContain('epochs=40');
    expect(autorec).toContain('ran 22 epochs, kept the weights of epoch 12 (best validation RMSE)');
    expect(hyperParameterLine(row('popularity', 1, { epochs: 0, bestEpoch: 0 }))).toBe('');
  });

  it('with the binary transform the verdict declares no RMSE winner', () => {
    const result = {
      dataset: { transform: 'binary' },
      split: {},
      protocol: 'holdout',
      k: 10,
      results: [row('svd', 0.3), row('u-autorec', 0.1)],
    } as unknown as ExperimentResult;
    const text = verdict(result).join(' ');
    expect(text).not.toMatch(/beat SVD on test RMSE/);
    expect(text).toContain('no rating winner is declared');
    expect(text).toContain('NDCG@10');
  });
});
