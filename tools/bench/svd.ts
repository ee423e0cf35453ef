/**
 * SVD and baselines benchmark against the Surprise figures measured on this machine kind.
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/svd.ts [--data DIR] [--seeds N] [--dump DIR]
 *
 * 1. Last.fm 2K (HetRec 2011, `user_artists.dat`, 92,834 plays): ratings = `global-quantiles`
 *    (quintiles of log play count, 1–5), 90/10 random split — Surprise: SVD RMSE 0.851,
 *    BaselineOnly 0.887, global mean 1.408, SVD fit ≈ 1 s. Ours: SVD with Surprise's defaults
 *    (100 factors, 20 epochs), BaselineOnly (ALS) and the global mean, on `--seeds` splits
 *    (RMSE mean ± sd; the spread shows how much of any gap is split noise), and the median fit time.
 * 2. MovieLens-100K (Surprise SVD 5-fold RMSE 0.934, ≈ 1.0 s per fold) is not available
 *    offline, so the 5-fold protocol runs on the synthetic `default` preset instead
 *    (log-bins ratings).
 *
 * 1b. The same split through `compareModels`: RMSE/MAE, NDCG/Recall@K, coverage and paired
 *    tests of each model against SVD (per-user MSE t-test, per-user NDCG Wilcoxon).
 *
 * `--dump DIR` writes the first Last.fm split as `train.tsv`/`test.tsv` (user, item, rating) so
 * a reference implementation (e.g. Surprise) can be run on exactly the same data.
 * Progress goes to stderr; one JSON line of results to stdout.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  BaselineOnlyModel,
  compareModels,
  crossValidate,
  evaluateRatings,
  GlobalMeanModel,
  meanSd,
  type Recommender,
  SvdModel,
  setupCompute,
} from '@autorec/core';
import {
  applyTransform,
  type CsrMatrix,
  fitTransform,
  kFoldSplits,
  nnz,
  prepareDataset,
  syntheticDataset,
} from '@autorec/data';
import { readInteractionsFile } from '@autorec/data/node';
import { sharedDataDir } from './data-dir.ts';

// The bench is the app: the compute context (tfjs backend for dense scoring) is chosen once here.
await setupCompute();

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: join(sharedDataDir(), 'lastfm-hetrec-2k') },
    seeds: { type: 'string', default: '5' },
    dump: { type: 'string' },
  },
});
const seeds = Number(values.seeds);
if (!Number.isInteger(seeds) || seeds < 1)
  throw new Error(`--seeds must be a positive integer, got ${values.seeds}`);

const log = (message: string) => console.error(message);
const round = (x: number, digits = 4) => Number(x.toFixed(digits));
const stats = (xs: number[]) => {
  const { mean, sd } = meanSd(xs);
  return { mean: round(mean), sd: round(sd), values: xs.map((x) => round(x)) };
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Fits and scores; `cpuSeconds` is this process's CPU time during the fit (the machine is shared). */
async function fitAndScore(model: Recommender, trainSet: Parameters<Recommender['fit']>[0], test: CsrMatrix) {
  const cpu = process.cpuUsage();
  const fit = await model.fit(trainSet);
  const used = process.cpuUsage(cpu);
  return {
    rmse: evaluateRatings(model, test).all.rmse!,
    seconds: fit.seconds,
    cpuSeconds: (used.user + used.system) / 1e6,
  };
}

// ---- 1. Last.fm 2K ----
const file = join(values.data, 'user_artists.dat');
const dataset = await readInteractionsFile(file, { format: 'lastfm-hetrec' });
log(`Last.fm 2K: ${dataset.users.size} users × ${dataset.items.size} artists, ${nnz(dataset.counts)} plays`);

// Warm-up: the first fit of a process also pays for JIT compilation.
{
  const p = prepareDataset(dataset, {
    transform: 'global-quantiles',
    split: { method: 'random', test: 0.1 },
    seed: 0,
  });
  await new SvdModel({ epochs: 3 }).fit(p.trainSet);
}

const rmse = {
  svd: [] as number[],
  baseline: [] as number[],
  globalMean: [] as number[],
  baselineSgd: [] as number[],
};
const fitSeconds = { svd: [] as number[], svdCpu: [] as number[], baseline: [] as number[] };
for (let s = 1; s <= seeds; s++) {
  const p = prepareDataset(dataset, {
    transform: 'global-quantiles',
    split: { method: 'random', test: 0.1 },
    seed: s,
  });
  const test = p.ratings.test;
  if (s === 1 && values.dump) dumpSplit(values.dump, p.ratings.train, test);
  const svd = await fitAndScore(new SvdModel({ seed: s }), p.trainSet, test);
  const base = await fitAndScore(new BaselineOnlyModel(), p.trainSet, test);
  const baseSgd = await fitAndScore(new BaselineOnlyModel({ method: 'sgd' }), p.trainSet, test);
  const mean = await fitAndScore(new GlobalMeanModel(), p.trainSet, test);
  rmse.svd.push(svd.rmse);
  rmse.baseline.push(base.rmse);
  rmse.baselineSgd.push(baseSgd.rmse);
  rmse.globalMean.push(mean.rmse);
  fitSeconds.svd.push(svd.seconds);
  fitSeconds.svdCpu.push(svd.cpuSeconds);
  fitSeconds.baseline.push(base.seconds);
  log(
    `split ${s}: SVD ${svd.rmse.toFixed(4)} (${svd.seconds.toFixed(3)} s)  BaselineOnly ${base.rmse.toFixed(4)}  ` +
      `BaselineOnly-SGD ${baseSgd.rmse.toFixed(4)}  global mean ${mean.rmse.toFixed(4)}`,
  );
}

// ---- 1b. The same models through compareModels: ranking metrics and paired tests vs SVD ----
const compareStarted = performance.now();
const comparison = await compareModels(
  prepareDataset(dataset, { transform: 'global-quantiles', split: { method: 'random', test: 0.1 }, seed: 1 }),
  {
    models: [
      'svd',
      'baseline',
      { name: 'baseline', params: { method: 'sgd' }, label: 'baseline-sgd' },
      'popularity',
      'global-mean',
    ],
    seed: 1,
    ranking: { k: [10, 50] },
  },
);
const compareSeconds = (performance.now() - compareStarted) / 1000;
const compared = comparison.models.map((m) => ({
  model: m.label,
  rmse: round(m.rating.rmse),
  mae: round(m.rating.mae),
  coldRatings: m.rating.cold.count,
  'ndcg@10': round(m.ranking!.atK[0].ndcg),
  'recall@10': round(m.ranking!.atK[0].truncatedRecall), // min(K, |relevant|), as recorded
  'recall@50': round(m.ranking!.atK[1].truncatedRecall),
  'coverage@10': round(m.ranking!.atK[0].coverage),
  pUserMseVsSvd: m.significance && Number(m.significance.userMse.tTest.pValue.toPrecision(3)),
  pUserNdcgVsSvd: m.significance?.userNdcg && Number(m.significance.userNdcg.wilcoxon.pValue.toPrecision(3)),
}));
for (const row of compared) log(JSON.stringify(row));
log(
  `compareModels (5 models, ${comparison.models[0].ranking!.users} users ranked): ${compareSeconds.toFixed(1)} s`,
);

// ---- 2. 5-fold CV on synthetic data (stand-in for MovieLens-100K) ----
const synthetic = syntheticDataset('default');
const logBins = fitTransform('log-bins', synthetic.counts);
const allRatings = applyTransform(logBins, synthetic.counts);
const folds = [...kFoldSplits(allRatings, 5, 1)].map((split) => ({
  train: {
    ratings: split.train,
    users: synthetic.users,
    items: synthetic.items,
    scale: logBins.scale,
    transform: logBins,
  },
  test: split.test,
}));
const cv = await crossValidate(() => new SvdModel(), folds, { ranking: false });
log(
  `synthetic 'default' (${synthetic.users.size} × ${synthetic.items.size}, ${nnz(allRatings)} ratings), SVD 5-fold: ` +
    `RMSE ${cv.summary.rmse.mean.toFixed(4)} ± ${cv.summary.rmse.sd.toFixed(4)}, ` +
    `fit ${cv.summary.fitSeconds.mean.toFixed(3)} s per fold`,
);

console.log(
  JSON.stringify({
    bench: 'svd',
    node: process.version,
    lastfm2k: {
      plays: nnz(dataset.counts),
      transform: 'global-quantiles',
      split: 'random 90/10',
      splits: seeds,
      rmse: {
        svd: stats(rmse.svd),
        baselineOnlyAls: stats(rmse.baseline),
        baselineOnlySgd: stats(rmse.baselineSgd),
        globalMean: stats(rmse.globalMean),
      },
      surprise: { svd: 0.851, baselineOnly: 0.887, globalMean: 1.408, svdFitSeconds: 1.0 },
      svdFitSecondsMedian: round(median(fitSeconds.svd), 3),
      svdFitCpuSecondsMedian: round(median(fitSeconds.svdCpu), 3),
      loadAverage: os.loadavg()[0],
      baselineFitSecondsMedian: round(median(fitSeconds.baseline), 4),
      compareModelsSplit1: { seconds: round(compareSeconds, 1), models: compared },
    },
    movielens100k: 'not available offline; 5-fold SVD on the synthetic default preset instead',
    syntheticDefault5Fold: {
      ratings: nnz(allRatings),
      transform: 'log-bins',
      rmse: { mean: round(cv.summary.rmse.mean), sd: round(cv.summary.rmse.sd) },
      fitSecondsPerFold: round(cv.summary.fitSeconds.mean, 3),
    },
  }),
);

function dumpSplit(dir: string, train: CsrMatrix, test: CsrMatrix): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, m] of [
    ['train.tsv', train],
    ['test.tsv', test],
  ] as const) {
    const lines: string[] = [];
    for (let u = 0; u < m.rows; u++)
      for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) lines.push(`${u}\t${m.indices[p]}\t${m.values[p]}`);
    writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
  }
  log(`wrote the first split to ${dir}/train.tsv and test.tsv`);
}
