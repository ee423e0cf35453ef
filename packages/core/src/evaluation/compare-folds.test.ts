import { nnz, preparedFolds, syntheticDataset } from '@autorec/data';
import { describe, expect, it } from 'vitest';
import { compareModels } from './compare.ts';
import { compareModelsAcrossFolds, comparisonMetrics } from './compare-folds.ts';

const dataset = syntheticDataset('tiny');
const folds = () => preparedFolds(dataset, { folds: 3, validation: 0.1, seed: 4 });
const models = [
  { name: 'svd' as const, params: { factors: 8, epochs: 30 } },
  'baseline' as const,
  'global-mean' as const,
];

describe('compareModelsAcrossFolds', () => {
  it('gives per-fold values, mean ± sd and tests across folds and over users', async () => {
    const seen: number[] = [];
    const r = await compareModelsAcrossFolds(folds(), {
      models,
      seed: 2,
      ranking: { k: [10, 20] },
      onFold: (_, fold) => seen.push(fold),
    });
    expect(seen).toEqual([0, 1, 2]);
    expect(r.folds).toBe(3);
    expect(r.reference).toBe('svd');
    // Each fold is what compareModels gives on that fold alone.
    const fold1 = await compareModels([...folds()][1], { models, seed: 2, ranking: { k: [10, 20] } });
    const gm = r.models.find((m) => m.label === 'global-mean')!;
    expect(gm.metrics.rmse.values[1]).toBe(fold1.models[2].rating.rmse);
    expect(gm.metrics['ndcg@20'].values).toHaveLength(3);
    const { mean, sd, values } = gm.metrics.rmse;
    expect(mean).toBeCloseTo((values[0] + values[1] + values[2]) / 3, 12);
    expect(sd).toBeGreaterThan(0);
    // Validation is carved inside each fold; SVD does not early-stop, so it trains on both parts.
    const first = [...folds()][0];
    expect(nnz(first.ratings.validation!)).toBeGreaterThan(0);
    expect(r.perFold[0].models[0].trainedOn).toBe('train+validation');
    // The global mean is far worse than SVD on every fold: tests across folds and over users say so.
    const across = gm.significance!.acrossFolds.rmse;
    expect(across.folds).toBe(3);
    expect(across.meanDifference).toBeGreaterThan(0);
    expect(across.tTest.pValue).toBeLessThan(0.05);
    expect(gm.significance!.userMse!.n).toBeGreaterThan(100);
    expect(gm.significance!.userMse!.tTest.pValue).toBeLessThan(1e-6);
    expect(gm.significance!.userNdcg).toBeDefined();
    expect(r.models[0].significance).toBeUndefined();
    expect(gm.significance!.acrossFolds.epochs).toBeUndefined();
    // No popularity in the list: ranking is tested against the reference too.
    expect(gm.rankingSignificance?.against).toBe('svd');
    expect(gm.rankingSignificance?.userNdcg.n).toBe(gm.significance!.userNdcg!.n);
  });

  it("on abort keeps the finished folds and the interrupted fold's finished models", async () => {
    const controller = new AbortController();
    const r = await compareModelsAcrossFolds(folds(), {
      models,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.fold === 1 && e.model === 'baseline' && e.stage === 'evaluate')
          controller.abort(new Error('stop'));
      },
    });
    expect(r.folds).toBe(1);
    expect(r.aborted).toMatchObject({
      fold: 1,
      model: 'baseline',
      stage: 'evaluate',
      notStarted: ['global-mean'],
    });
    expect(r.aborted!.partial!.models.map((m) => m.label)).toEqual(['svd']);
    expect(r.models.map((m) => m.metrics.rmse.values.length)).toEqual([1, 1, 1]);
  });

  it('flattens a row into named metrics', async () => {
    const c = await compareModels([...folds()][0], { models: ['popularity'], ranking: { k: [5] } });
    const m = comparisonMetrics(c.models[0]);
    expect(Object.keys(m)).toEqual(
      expect.arrayContaining([
        'rmse',
        'ndcg@5',
        'truncatedRecall@5',
        'popularity@5',
        'coverage@5',
        'trainSeconds',
      ]),
    );
    expect(m['popularity@5']).toBeGreaterThan(0.5); // popularity recommends the most played items
  });
});
