/**
 * Cost of evaluation after training, per model, on Last.fm HetRec 2K (1,892 users × 17,632
 * artists): the part of `autorec compare` that is not training. Each model is trained briefly
 * (scoring cost does not depend on the epochs), then timed on
 *
 * - `scoreUsers` over every user in batches of 256 (the all-items scores ranking needs),
 * - `evaluateRanking` at K = 10 (scoring plus top-K, exclusion and metrics),
 * - `evaluateRatings` on the test split.
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/ranking.ts [--data DIR] [--models LIST] [--epochs N]
 *
 * Run it again with `AUTOREC_BACKEND=cpu` to see SVD's plain-JS scoring loops (the tfjs cpu
 * backend is no faster than them, so SVD falls back to the loops there).
 * Progress goes to stderr; one JSON line of results to stdout.
 */

import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  backendInfo,
  createModel,
  evaluateRanking,
  evaluateRatings,
  isModelName,
  type ModelName,
  setupCompute,
} from '@autorec/core';
import { joinItemInfo, prepareDataset } from '@autorec/data';
import { readInteractionsFile, readItemInfoFile } from '@autorec/data/node';
import { sharedDataDir } from './data-dir.ts';

// The bench is the app: the compute context (tfjs backend for dense scoring) is chosen once here.
await setupCompute();

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: join(sharedDataDir(), 'lastfm-hetrec-2k') },
    models: { type: 'string', default: 'svd,u-autorec,i-autorec,baseline' },
    epochs: { type: 'string', default: '2' },
  },
});
const models = values.models.split(',').map((m) => m.trim());
for (const m of models) if (!isModelName(m)) throw new Error(`unknown model '${m}'`);
const epochs = Number(values.epochs);
if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`--epochs must be ≥ 1, got ${values.epochs}`);

const log = (message: string) => console.error(message);
const seconds = (start: number) => Number(((performance.now() - start) / 1000).toFixed(3));

const dataset = await readInteractionsFile(resolve(values.data, 'user_artists.dat'), {
  format: 'lastfm-hetrec',
});
joinItemInfo(dataset, await readItemInfoFile(resolve(values.data, 'artists.dat'), 'lastfm-hetrec'));
// The split of `autorec compare` (random 10% test, 10% validation, seed 42).
const prepared = prepareDataset(dataset, {
  split: { method: 'random', test: 0.1, validation: 0.1 },
  seed: 42,
});
const { rows: nUsers, cols: nItems } = prepared.ratings.train;
log(`${nUsers} users × ${nItems} items; training ${epochs} epoch(s) per model`);

const results: Record<string, unknown>[] = [];
for (const name of models as ModelName[]) {
  const model = createModel(name, { epochs });
  const fit = await model.fit(prepared.trainSet, { validation: prepared.ratings.validation });
  let start = performance.now();
  for (let u0 = 0; u0 < nUsers; u0 += 256) {
    const batch = Uint32Array.from({ length: Math.min(256, nUsers - u0) }, (_, j) => u0 + j);
    model.scoreUsers(batch);
  }
  const scoreSeconds = seconds(start);
  start = performance.now();
  const ranking = await evaluateRanking(model, prepared.ratings.test, { k: 10 });
  const rankingSeconds = seconds(start);
  start = performance.now();
  evaluateRatings(model, prepared.ratings.test);
  const ratingSeconds = seconds(start);
  const factors = (model.hyperParameters.factors ?? model.hyperParameters.hiddenUnits) as number | undefined;
  const row = {
    model: name,
    trainSeconds: Number(fit.seconds.toFixed(2)),
    scoreUsersSeconds: scoreSeconds,
    gigaMultiplyAddsPerSecond:
      factors === undefined ? null : Number(((nUsers * nItems * factors) / scoreSeconds / 1e9).toFixed(2)),
    evaluateRankingSeconds: rankingSeconds,
    rankedUsers: ranking.users,
    ndcg10: Number(ranking.atK[0].ndcg.toFixed(4)),
    evaluateRatingsSeconds: ratingSeconds,
  };
  log(JSON.stringify(row));
  results.push(row);
  model.dispose();
}
console.log(JSON.stringify({ backend: backendInfo() ?? null, users: nUsers, items: nItems, results }));
