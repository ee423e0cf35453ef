/**
 * Recommendations for new listeners (fold-in, no retraining) on Last.fm HetRec 2K, as JSON lines:
 * the Mult-VAE held-out-users protocol through `evaluateHeldOutUsers`.
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/foldin.ts [--data DIR]
 *
 * 189 of the 1,892 users are held out for test and 189 for validation (seed 7); each gives 80%
 * of their plays to the model as a new listener and the other 20% are the targets — for test,
 * the relevant items of a top-10 over all artists, and the ratings whose RMSE is reported
 * (`evaluateFoldInRatings`). Models train on the remaining users;
 * AutoRec stops early on the validation users, scored by fold-in (`validationFoldIn`). Each model
 * is ranked twice: with artists that have no training plays left out of the lists (the default)
 * and let in.
 */

import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createModel,
  evaluateFoldInRatings,
  evaluateHeldOutUsers,
  type ModelName,
  setupCompute,
} from '@autorec/core';
import { nnz, prepareDataset } from '@autorec/data';
import { readInteractionsFile } from '@autorec/data/node';
import { sharedDataDir } from './data-dir.ts';

// The bench is the app: the compute context (tfjs backend for dense scoring) is chosen once here.
await setupCompute();

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: join(sharedDataDir(), 'lastfm-hetrec-2k') },
  },
});
const dataset = await readInteractionsFile(resolve(values.data, 'user_artists.dat'), {
  format: 'lastfm-hetrec',
});
const prepared = prepareDataset(dataset, {
  split: { method: 'held-out-users', testUsers: 189, validationUsers: 189 },
  seed: 7,
});
const { ratings, split } = prepared;
const train = ratings.train;
let cold = 0;
const seen = new Uint8Array(train.cols);
for (let p = 0; p < nnz(train); p++) seen[train.indices[p]] = 1;
for (const s of seen) if (!s) cold++;
console.error(
  `${train.rows} users (${split.testUsers?.length} held out for test) × ${train.cols} artists; ${cold} artists have no training plays`,
);

for (const name of ['popularity', 'baseline', 'svd', 'u-autorec', 'i-autorec'] as ModelName[]) {
  const model = createModel(name, {});
  const fit = await model.fit(prepared.trainSet, {
    validation: ratings.validation,
    validationFoldIn: ratings.foldIn,
  });
  const heldOut = { foldIn: ratings.foldIn!, test: ratings.test, testUsers: split.testUsers };
  const rated = evaluateFoldInRatings(model, heldOut);
  for (const includeColdItems of [false, true]) {
    const r = await evaluateHeldOutUsers(model, heldOut, { k: 10, includeColdItems });
    const at = r.atK[0];
    console.log(
      JSON.stringify({
        bench: 'foldin',
        dataset: 'lastfm-hetrec-2k',
        model: name,
        coldArtists: includeColdItems ? 'ranked' : 'left out (default)',
        users: r.users,
        testRmse: Number(rated.all.rmse!.toFixed(4)),
        ndcg10: Number(at.ndcg.toFixed(4)),
        recall10: Number(at.truncatedRecall.toFixed(4)), // min(K, |relevant|), as recorded
        precision10: Number(at.precision.toFixed(4)),
        coverage10: Number(at.coverage.toFixed(4)),
        epochs: fit.epochs.length,
        bestEpoch: fit.bestEpoch,
      }),
    );
  }
  model.dispose();
}
