import { join } from 'node:path';
import { prepareDataset } from '@autorec/data';
import { readInteractionsFile } from '@autorec/data/node';
import { describeRealData } from '@autorec/test-utils/real-data';
import { expect, it } from 'vitest';
import { evaluateRatings } from '../evaluation/rating.ts';
import { BaselineOnlyModel, GlobalMeanModel } from './baselines.ts';
import { SvdModel } from './svd.ts';

// Surprise on Last.fm 2K, global-quantile ratings, 90/10 random split (measured on this machine
// kind): SVD 0.851, BaselineOnly 0.887, global mean 1.408. Our splits differ from theirs, and
// split-to-split sd is ≈ 0.006–0.01 (tools/bench/svd.ts), hence the tolerances.
describeRealData('lastfm-hetrec-2k', 'Last.fm 2K: parity with Surprise', (dir) => {
  it('matches Surprise’s SVD, BaselineOnly and global-mean RMSE', async () => {
    const dataset = await readInteractionsFile(join(dir, 'user_artists.dat'), { format: 'lastfm-hetrec' });
    const prepared = prepareDataset(dataset, {
      transform: 'global-quantiles',
      split: { method: 'random', test: 0.1 },
      seed: 1,
    });
    const rmse = async (model: SvdModel | BaselineOnlyModel | GlobalMeanModel) => {
      await model.fit(prepared.trainSet);
      return evaluateRatings(model, prepared.ratings.test).all.rmse!;
    };
    expect(Math.abs((await rmse(new SvdModel({ seed: 1 }))) - 0.851)).toBeLessThan(0.015);
    expect(Math.abs((await rmse(new BaselineOnlyModel())) - 0.887)).toBeLessThan(0.015);
    expect(Math.abs((await rmse(new GlobalMeanModel())) - 1.408)).toBeLessThan(0.025);
  });
});
