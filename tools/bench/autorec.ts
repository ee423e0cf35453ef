/**
 * AutoRec benchmark: epoch times and RMSE against the bars in the AutoRec issue, as JSON lines.
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/autorec.ts [lastfm|ml100k|msd|all] [--epochs N]
 *
 * - `lastfm`: Last.fm HetRec 2K (1,892 users × 17,632 artists × 92,834 plays; from
 *   AUTOREC_DATA_DIR or ../shared/data), plays → ratings by `global-quantiles`, a seeded
 *   80/10/10 split (validation for early stopping, test for RMSE). Epoch time of U- and I-AutoRec
 *   (500 hidden) against the PyTorch peer (5.2 s and 2.9 s per epoch), and test RMSE of the
 *   paper configuration and the residual one, next to the bias baseline and SVD.
 * - `ml100k`: MovieLens-100K is not available offline, so a synthetic explicit-ratings set of
 *   the same shape (943 × 1,682 × 100K, planted low-rank structure + noise, calibrated so the
 *   global mean and bias baseline score like on MovieLens: 1.122 and 0.944) with a 85/5/10
 *   split. I-AutoRec RMSE against the peer's 0.890 on the real data, with the noise floor of the
 *   synthetic data and SVD for reference.
 * - `msd`: the synthetic `msd` preset (571,355 users × 41,140 songs × ~33.6M plays), U-AutoRec
 *   with 500 hidden units, auto batch size (4,096 users) and 1,024; a wall-clock slice of
 *   batches (AUTOREC_MSD_SLICE seconds, default 60) is timed and the epoch time extrapolated
 *   (said so in the output), or with AUTOREC_MSD_SLICE=0 one full epoch; with peak RSS.
 */

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  applyTransform,
  type CsrMatrix,
  csrFromTriplets,
  fitTransform,
  nnz,
  Rng,
  type TrainSet,
} from '@autorec/data';
import { readInteractionsFile } from '@autorec/data/node';
import {
  AutoRecModel,
  type AutoRecOptions,
  resolveBatchSize,
} from '../../packages/core/src/models/autorec.ts';
import { fitBiases } from '../../packages/core/src/models/autorec-biases.ts';
import { plantedRatings } from '../../packages/core/src/models/autorec-planted.ts';
import { SvdModel } from '../../packages/core/src/models/svd.ts';

const args = process.argv.slice(2);
const which = args.find((a) => !a.startsWith('--')) ?? 'all';
const epochsArg = args.indexOf('--epochs');
const maxEpochs = epochsArg >= 0 ? Number(args[epochsArg + 1]) : undefined;

function emit(record: Record<string, unknown>): void {
  console.log(JSON.stringify(record));
}

function rmse(model: AutoRecModel | ((u: number, i: number) => number), m: CsrMatrix): number {
  const users = new Int32Array(nnz(m));
  const items = new Int32Array(nnz(m));
  for (let u = 0; u < m.rows; u++)
    for (let q = m.indptr[u]; q < m.indptr[u + 1]; q++) {
      users[q] = u;
      items[q] = m.indices[q];
    }
  const pred =
    typeof model === 'function'
      ? Float32Array.from(users, (u, q) => model(u, items[q]))
      : model.predictIndices(users, items);
  let sse = 0;
  for (let q = 0; q < pred.length; q++) sse += (pred[q] - m.values[q]) ** 2;
  return Math.sqrt(sse / pred.length);
}

function baselineRmse(train: TrainSet, test: CsrMatrix): { mean: number; baseline: number } {
  const b = fitBiases(train.ratings);
  const { min, max } = train.scale;
  const clip = (x: number) => Math.min(max, Math.max(min, x));
  return {
    mean: rmse(() => clip(b.mean), test),
    baseline: rmse((u, i) => clip(b.mean + b.user[u] + b.item[i]), test),
  };
}

/** Trains and reports epoch times (median of the epochs run) and test RMSE. */
async function run(
  dataset: string,
  variant: 'user' | 'item',
  train: TrainSet,
  validation: CsrMatrix,
  test: CsrMatrix,
  options: AutoRecOptions,
  extra: Record<string, unknown> = {},
): Promise<void> {
  const model = new AutoRecModel(variant, options);
  const fit = await model.fit(train, { validation });
  const times = fit.epochs.map((e) => e.seconds).sort((a, b) => a - b);
  emit({
    bench: 'autorec',
    dataset,
    model: model.name,
    options,
    backend: fit.backend,
    epochsRun: fit.epochs.length,
    bestEpoch: fit.bestEpoch,
    medianEpochSeconds: round(times[Math.floor(times.length / 2)]),
    fitSeconds: round(fit.seconds),
    validationRmse: round(fit.epochs.find((e) => e.epoch === fit.bestEpoch)?.validationRmse),
    testRmse: round(rmse(model, test)),
    ...extra,
  });
  model.dispose();
}

/** The other model of the paper's comparison, with its defaults, for context. */
async function svdReference(dataset: string, train: TrainSet, test: CsrMatrix): Promise<void> {
  const svd = new SvdModel();
  const fit = await svd.fit(train);
  const users = new Int32Array(nnz(test));
  const items = new Int32Array(nnz(test));
  for (let u = 0; u < test.rows; u++)
    for (let q = test.indptr[u]; q < test.indptr[u + 1]; q++) {
      users[q] = u;
      items[q] = test.indices[q];
    }
  const pred = svd.predictIndices(users, items);
  let sse = 0;
  for (let q = 0; q < pred.length; q++) sse += (pred[q] - test.values[q]) ** 2;
  emit({
    bench: 'autorec',
    dataset,
    model: 'svd (defaults, reference)',
    fitSeconds: round(fit.seconds),
    testRmse: round(Math.sqrt(sse / pred.length)),
  });
}

function round(x: number | undefined, digits = 4): number | undefined {
  return x === undefined ? undefined : Number(x.toFixed(digits));
}

/** Seeded split of the entries of `m` into train / validation / test by the given shares. */
function splitEntries(m: CsrMatrix, validationShare: number, testShare: number, seed: number) {
  const rng = new Rng(seed);
  const parts: { r: number[]; c: number[]; v: number[] }[] = [0, 1, 2].map(() => ({ r: [], c: [], v: [] }));
  for (let u = 0; u < m.rows; u++)
    for (let q = m.indptr[u]; q < m.indptr[u + 1]; q++) {
      const x = rng.next();
      const part = parts[x < testShare ? 2 : x < testShare + validationShare ? 1 : 0];
      part.r.push(u);
      part.c.push(m.indices[q]);
      part.v.push(m.values[q]);
    }
  const [train, validation, test] = parts.map((p) => csrFromTriplets(m.rows, m.cols, p.r, p.c, p.v));
  return { train, validation, test };
}

function dataDir(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const dir = process.env.AUTOREC_DATA_DIR ?? path.resolve(here, '../../../shared/data');
  return existsSync(dir) ? dir : undefined;
}

async function lastfm(): Promise<void> {
  const dir = dataDir();
  const file = dir && path.join(dir, 'lastfm-hetrec-2k', 'user_artists.dat');
  if (!file || !existsSync(file)) {
    emit({
      bench: 'autorec',
      dataset: 'lastfm-2k',
      skipped: 'user_artists.dat not found (set AUTOREC_DATA_DIR)',
    });
    return;
  }
  const ds = await readInteractionsFile(file, { format: 'lastfm-hetrec' });
  const transform = fitTransform('global-quantiles', ds.counts);
  const ratings = applyTransform(transform, ds.counts);
  const split = splitEntries(ratings, 0.1, 0.1, 7);
  const train: TrainSet = {
    ratings: split.train,
    users: ds.users,
    items: ds.items,
    scale: transform.scale,
    transform,
  };
  emit({
    bench: 'autorec',
    dataset: 'lastfm-2k',
    shape: [ratings.rows, ratings.cols, nnz(ratings)],
    transform: 'global-quantiles',
    ...baselineRmse(train, split.test),
  });
  const epochs = maxEpochs ?? 100;
  for (const variant of ['user', 'item'] as const) {
    const peer = { peerEpochSeconds: variant === 'user' ? 5.2 : 2.9 };
    const { validation, test } = split;
    await run('lastfm-2k', variant, train, validation, test, { epochs }, peer);
    await run('lastfm-2k', variant, train, validation, test, { epochs, residual: true }, peer);
  }
  await svdReference('lastfm-2k', train, split.test);
}

async function ml100k(): Promise<void> {
  const d = plantedRatings({ users: 943, items: 1682, ratings: 100_000 });
  emit({
    bench: 'autorec',
    dataset: 'ml100k-like (synthetic)',
    shape: [943, 1682, nnz(d.train.ratings) + nnz(d.validation) + nnz(d.test)],
    oracleRmse: round(d.oracleRmse),
    ...baselineRmse(d.train, d.test),
  });
  const epochs = maxEpochs ?? 100;
  const peer = { peerRmseOnRealMl100k: 0.89 };
  const { train, validation, test } = d;
  await run('ml100k-like', 'item', train, validation, test, { epochs }, peer);
  await run('ml100k-like', 'item', train, validation, test, { epochs, residual: true }, peer);
  await run(
    'ml100k-like',
    'item',
    train,
    validation,
    test,
    { epochs, residual: true, inputDropout: 0.25 },
    peer,
  );
  await run('ml100k-like', 'user', train, validation, test, { epochs, residual: true });
  await svdReference('ml100k-like', train, test);
}

async function msd(): Promise<void> {
  const data = (await import('@autorec/data')) as Record<string, unknown>;
  const generate =
    (data.syntheticDataset as
      | typeof import('../../packages/data/src/synthetic.ts').syntheticDataset
      | undefined) ?? (await import('../../packages/data/src/synthetic.ts')).syntheticDataset;
  let t = performance.now();
  const ds = generate('msd');
  const generateSeconds = (performance.now() - t) / 1000;
  const transform = fitTransform('global-quantiles', ds.counts);
  const train: TrainSet = {
    ratings: applyTransform(transform, ds.counts),
    users: ds.users,
    items: ds.items,
    scale: transform.scale,
    transform,
  };
  // Seconds of batches to time before aborting and extrapolating; 0 runs one full epoch.
  const sliceSeconds = Number(process.env.AUTOREC_MSD_SLICE ?? 60);
  for (const batchSize of [0, 1024]) {
    const controller = new AbortController();
    let last = { batch: 0, batches: 1, elapsed: 0 };
    t = performance.now();
    const model = new AutoRecModel('user', { batchSize, epochs: 1 });
    const fit = await model.fit(train, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase !== 'batch') return;
        last = { batch: p.batch, batches: p.batches, elapsed: p.elapsedSeconds };
        if (sliceSeconds > 0 && p.elapsedSeconds >= sliceSeconds) controller.abort();
      },
    });
    const full = fit.epochs[0];
    const setupSeconds = fit.seconds - (full ? full.seconds : last.elapsed);
    emit({
      bench: 'autorec',
      dataset: 'msd-shape (synthetic)',
      model: 'u-autorec',
      hiddenUnits: 500,
      batchSize: batchSize === 0 ? `auto (${resolveBatchSize(0, train.ratings.rows)})` : batchSize,
      shape: [train.ratings.rows, train.ratings.cols, nnz(train.ratings)],
      generateSeconds: round(generateSeconds, 1),
      ...(full
        ? { note: 'one full epoch', epochSeconds: round(full.seconds, 1) }
        : {
            note: `timed ${last.batch} of ${last.batches} batches and extrapolated`,
            secondsTimed: round(last.elapsed, 1),
            extrapolatedEpochSeconds: round((last.elapsed / last.batch) * last.batches, 1),
          }),
      setupSeconds: round(Math.max(0, setupSeconds), 1),
      backend: fit.backend,
      peakRssGiB: round(process.resourceUsage().maxRSS / 2 ** 20, 2),
    });
    model.dispose();
  }
}

if (which === 'lastfm' || which === 'all') await lastfm();
if (which === 'ml100k' || which === 'all') await ml100k();
if (which === 'msd' || which === 'all') await msd();
