import { join } from 'node:path';
import { prepareDataset } from '@autorec/data';
import { readInteractionsFile } from '@autorec/data/node';
import { describeRealData } from '@autorec/test-utils/real-data';
import { expect, it } from 'vitest';
import { evaluateRanking } from '../evaluation/ranking.ts';
import { PopularityModel } from './baselines.ts';
import { EaseModel } from './ease.ts';

// Measured with tools/bench/implicit.ts --dataset ml-100k (80/20 random split, seed 42):
// EASE 0.446, iALS 0.333, popularity 0.213 NDCG@10.
describeRealData('ml-100k', 'EASE on MovieLens-100K', (dir) => {
  it('ranks held-out ratings far better than popularity (NDCG@10)', async () => {
    const dataset = await readInteractionsFile(join(dir, 'u.data'), { format: 'movielens' });
    const prepared = prepareDataset(dataset, { split: { method: 'random', test: 0.2 }, seed: 42 });
    const ndcg = async (model: EaseModel | PopularityModel) => {
      await model.fit(prepared.trainSet);
      return (await evaluateRanking(model, prepared.ratings.test, { k: 10 })).atK[0].ndcg;
    };
    const ease = await ndcg(new EaseModel());
    expect(ease).toBeGreaterThan(0.42);
    expect(ease).toBeGreaterThan(1.8 * (await ndcg(new PopularityModel())));
  }, 120_000);
});
