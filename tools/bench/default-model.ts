/**
 * Which model `autorec train` should train by default: every registered model, with its default
 * hyper-parameters, on each shipped data set — Last.fm HetRec 2K, MovieLens-100K and the
 * synthetic `default` preset — scored by NDCG@10 on the **validation** part only (random 10%
 * test, 10% validation, seed 42; the test part is never looked at). Models are ranked per data
 * set; the default is the model with the best mean rank among those that run on every data set
 * (a model that refuses a data set, as EASE does above its item budget, cannot be the default).
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/default-model.ts [--models LIST] [--sets lastfm,ml100k,synthetic]
 *
 * One JSON line per (data set, model) and a final `choice` line on stdout; progress on stderr.
 */

import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createModel,
  evaluateRanking,
  isModelName,
  MODEL_NAMES,
  type ModelName,
  modelEntry,
  setupCompute,
} from '@autorec/core';
import { type Dataset, prepareDataset, syntheticDataset } from '@autorec/data';
import { readInteractionsFile } from '@autorec/data/node';
import { sharedDataDir } from './data-dir.ts';

await setupCompute();

const { values } = parseArgs({
  options: {
    // global-mean ranks every item alike: it is no candidate for a recommender.
    models: { type: 'string', default: MODEL_NAMES.filter((m) => m !== 'global-mean').join(',') },
    sets: { type: 'string', default: 'lastfm,ml100k,synthetic' },
  },
});
const models = values.models.split(',').map((m) => m.trim()) as ModelName[];
for (const m of models) if (!isModelName(m)) throw new Error(`unknown model '${m}'`);
const log = (message: string) => console.error(message);

const SETS: Record<string, () => Promise<Dataset>> = {
  lastfm: () =>
    readInteractionsFile(join(sharedDataDir(), 'lastfm-hetrec-2k', 'user_artists.dat'), {
      format: 'lastfm-hetrec',
    }),
  ml100k: () => readInteractionsFile(join(sharedDataDir(), 'ml-100k', 'u.data'), { format: 'movielens' }),
  synthetic: async () => syntheticDataset('default', { seed: 1 }),
};

const table: Record<string, Record<string, number | undefined>> = {};
for (const set of values.sets.split(',')) {
  if (!SETS[set]) throw new Error(`unknown data set '${set}'; choose from ${Object.keys(SETS).join(', ')}`);
  const prepared = prepareDataset(await SETS[set](), {
    split: { method: 'random', test: 0.1, validation: 0.1 },
    seed: 42,
  });
  const validation = prepared.ratings.validation!;
  table[set] = {};
  for (const name of models) {
    const started = performance.now();
    const model = createModel(name, 'seed' in modelEntry(name).params ? { seed: 42 } : {});
    try {
      await model.fit(prepared.trainSet, { validation });
      const ndcg = (await evaluateRanking(model, validation, { k: 10 })).atK[0].ndcg;
      const seconds = (performance.now() - started) / 1000;
      table[set][name] = ndcg;
      log(`${set} ${name}: validation NDCG@10 ${ndcg.toFixed(4)} (${seconds.toFixed(1)} s)`);
      console.log(JSON.stringify({ set, model: name, validationNdcg10: ndcg, seconds }));
    } catch (error) {
      // A model may refuse a data set (EASE above its item budget): recorded, not fatal.
      const reason = (error as Error).message;
      table[set][name] = undefined;
      log(`${set} ${name}: refused — ${reason}`);
      console.log(JSON.stringify({ set, model: name, refused: reason }));
    } finally {
      model.dispose();
    }
  }
}

// Rank per data set (1 = best), then the mean rank of the models that ran everywhere.
const sets = Object.keys(table);
const everywhere = models.filter((m) => sets.every((s) => table[s][m] !== undefined));
const meanRank = everywhere.map((m) => {
  const ranks = sets.map((s) => 1 + everywhere.filter((o) => (table[s][o] ?? 0) > (table[s][m] ?? 0)).length);
  return { model: m, meanRank: ranks.reduce((a, b) => a + b, 0) / ranks.length, ranks };
});
meanRank.sort((a, b) => a.meanRank - b.meanRank);
console.log(JSON.stringify({ choice: meanRank[0]?.model, byMeanRank: meanRank, sets }));
log(
  `default by mean validation rank: ${meanRank.map((r) => `${r.model} ${r.meanRank.toFixed(2)}`).join(', ')}`,
);
