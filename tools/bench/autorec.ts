/**
 * AutoRec benchmark: accuracy, epoch times and hyper-parameter search, as JSON lines.
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/autorec.ts [lastfm|ml100k|preset|msd|all] [--epochs N]
 *   node --conditions=@autorec/source --import tsx tools/bench/autorec.ts tune <lastfm|ml100k|preset> <user|item>
 *        [--stage lambda|shape|optim|activation|dropout|all] [--base JSON] [--seeds 1,2]
 *        [--stage list --candidates '[{"residual":true},{"hiddenUnits":100}]']
 *
 * Data:
 * - `lastfm`: Last.fm HetRec 2K (1,892 users × 17,632 artists × 92,834 plays; from
 *   AUTOREC_REAL_DATA or ../shared/data) through the production pipeline (`prepareDataset`):
 *   seeded random 80/10/10 split (seed 7), `global-quantiles` ratings fitted on the training
 *   part only.
 * - `ml100k`: MovieLens-100K from `ml-100k/u.data` in the same data folder when it is there
 *   (random 85/5/10, seed 7); it is not available offline here, so otherwise a synthetic
 *   explicit-ratings set of the same shape (943 × 1,682 × 100K, planted rank-10 structure +
 *   noise, calibrated so the global mean and the bias baseline score like on MovieLens: 1.122
 *   and 0.944) with an 85/5/10 split; its noise floor (`oracleRmse`, 0.787) bounds every model.
 * - `preset`: the synthetic `default` preset (3,000 users × 2,000 songs, Taste Profile-like
 *   play counts) as `npm start` prepares it: `log-bins` ratings, random 80/10/10, seed 42.
 * - `msd`: the synthetic `msd` preset (571,355 users × 41,140 songs × ~33.6M plays), U-AutoRec
 *   with its defaults, auto batch size (4,096 users) on one thread and on all cores, and 1,024
 *   users on all cores; a wall-clock slice of batches
 *   (AUTOREC_MSD_SLICE seconds, default 60) is timed and the epoch time extrapolated (said so
 *   in the output), or with AUTOREC_MSD_SLICE=0 one full epoch; with peak RSS.
 *
 * Modes:
 * - `lastfm` / `ml100k` / `preset`: U- and I-AutoRec with their defaults (and the paper's plain
 *   configuration for reference), the bias baseline and SVD; test RMSE, epoch times, and a
 *   paired t-test and Wilcoxon test of each AutoRec against SVD over per-user test MSE.
 * - `tune`: `tuneHyperParameters` on the validation split (never the test split) for one
 *   variant, by stages of a coordinate search; each stage starts from `--base` (default: the
 *   model's defaults) and prints every candidate's validation and test RMSE, then the
 *   stage's choice. `--stage all` chains the stages, each from the previous one's choice;
 *   `--stage list` tries the option sets of `--candidates` (over the defaults).
 *   `--seeds` fits every candidate once per seed and ranks by the mean.
 */

import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  AutoRecModel,
  type AutoRecOptions,
  autoRecDefaults,
  comparePerUser,
  evaluateRatings,
  type ParamSet,
  resolveBatchSize,
  SvdModel,
  setupCompute,
  tuneHyperParameters,
} from '@autorec/core';
import { fitBiases } from '@autorec/core/internals';
import {
  type CsrMatrix,
  nnz,
  type PreparedDataset,
  prepareDataset,
  syntheticDataset,
  type TrainSet,
} from '@autorec/data';
import { readInteractionsFile } from '@autorec/data/node';
import { plantedRatings } from '@autorec/test-utils';
import { sharedDataDir } from './data-dir.ts';
import { msdTrainSet } from './msd-data.ts';

// The bench is the app: the compute context (tfjs backend for dense scoring) is chosen once here.
await setupCompute();

const args = process.argv.slice(2);
const positional = args.filter((a, k) => !a.startsWith('--') && !args[k - 1]?.startsWith('--'));
const flag = (name: string): string | undefined => {
  const k = args.indexOf(`--${name}`);
  return k >= 0 ? args[k + 1] : undefined;
};
const which = positional[0] ?? 'all';
const maxEpochs = flag('epochs') === undefined ? undefined : Number(flag('epochs'));

function emit(record: Record<string, unknown>): void {
  console.log(JSON.stringify(record));
}

function round(x: number | undefined, digits = 4): number | undefined {
  return x === undefined ? undefined : Number(x.toFixed(digits));
}

interface BenchData {
  name: string;
  train: TrainSet;
  validation: CsrMatrix;
  test: CsrMatrix;
  extra: Record<string, unknown>;
}

/** A prepared dataset with a validation part, as the benchmarks read it. */
function fromPrepared(name: string, p: PreparedDataset, extra: Record<string, unknown>): BenchData {
  return { name, train: p.trainSet, validation: p.ratings.validation!, test: p.ratings.test, extra };
}

async function lastfmData(): Promise<BenchData | undefined> {
  const file = path.join(sharedDataDir(), 'lastfm-hetrec-2k', 'user_artists.dat');
  if (!existsSync(file)) {
    emit({
      bench: 'autorec',
      dataset: 'lastfm-2k',
      skipped: 'user_artists.dat not found (set AUTOREC_REAL_DATA)',
    });
    return undefined;
  }
  const ds = await readInteractionsFile(file, { format: 'lastfm-hetrec' });
  const p = prepareDataset(ds, { split: { method: 'random', test: 0.1, validation: 0.1 }, seed: 7 });
  return fromPrepared('lastfm-2k', p, { transform: p.transform.name, split: 'random 80/10/10, seed 7' });
}

/**
 * MovieLens-100K when `ml-100k/u.data` is in the data folder (AUTOREC_REAL_DATA or ../shared/data):
 * read by the data package's MovieLens reader, random 90/10 split with 5% of the ratings as
 * validation (seed 7), ratings as they are. Otherwise the planted ML-100K-shaped stand-in.
 */
async function ml100kData(): Promise<BenchData> {
  const file = path.join(sharedDataDir(), 'ml-100k', 'u.data');
  if (existsSync(file)) {
    const ds = await readInteractionsFile(file, { format: 'movielens' });
    const p = prepareDataset(ds, { split: { method: 'random', test: 0.1, validation: 0.05 }, seed: 7 });
    return fromPrepared('ml-100k', p, { file, transform: p.transform.name, split: 'random 85/5/10, seed 7' });
  }
  const d = plantedRatings({ users: 943, items: 1682, ratings: 100_000 });
  return {
    name: 'ml100k-like',
    train: d.train,
    validation: d.validation,
    test: d.test,
    extra: {
      note: 'synthetic stand-in: ml-100k/u.data not found in the data folder',
      oracleRmse: round(d.oracleRmse),
      split: '85/5/10',
    },
  };
}

/** The synthetic `default` preset as `npm start` prepares it: log-bins ratings, random 80/10/10, seed 42. */
function presetData(): BenchData {
  const p = prepareDataset(syntheticDataset('default'), {
    split: { method: 'random', test: 0.1, validation: 0.1 },
    seed: 42,
  });
  return fromPrepared('default-preset', p, {
    transform: p.transform.name,
    split: 'random 80/10/10, seed 42 (as npm start)',
  });
}

function describeData(d: BenchData): void {
  const b = fitBiases(d.train.ratings);
  const { min, max } = d.train.scale;
  const clip = (x: number) => Math.min(max, Math.max(min, x));
  let sseMean = 0;
  let sseBase = 0;
  const t = d.test;
  for (let u = 0; u < t.rows; u++)
    for (let q = t.indptr[u]; q < t.indptr[u + 1]; q++) {
      sseMean += (clip(b.mean) - t.values[q]) ** 2;
      sseBase += (clip(b.mean + b.user[u] + b.item[t.indices[q]]) - t.values[q]) ** 2;
    }
  const n = nnz(t);
  const r = d.train.ratings;
  emit({
    bench: 'autorec',
    dataset: d.name,
    shape: [r.rows, r.cols, nnz(r) + nnz(d.validation) + n],
    trainValidationTest: [nnz(r), nnz(d.validation), n],
    testRmseGlobalMean: round(Math.sqrt(sseMean / n)),
    testRmseBaseline: round(Math.sqrt(sseBase / n)),
    ...d.extra,
  });
}

function medianEpochSeconds(fit: { epochs: { seconds: number }[] }): number | undefined {
  const times = fit.epochs.map((e) => e.seconds).sort((a, b) => a - b);
  return times.length ? times[Math.floor(times.length / 2)] : undefined;
}

// ---- accuracy of the defaults, against SVD ----

async function compareDefaults(d: BenchData): Promise<void> {
  describeData(d);
  const svd = new SvdModel();
  const svdFit = await svd.fit(d.train);
  const svdEval = evaluateRatings(svd, d.test);
  emit({
    bench: 'autorec',
    dataset: d.name,
    model: 'svd (defaults)',
    fitSeconds: round(svdFit.seconds),
    testRmse: round(svdEval.all.rmse),
  });
  const runs: { label: string; variant: 'user' | 'item'; options: AutoRecOptions }[] = [
    { label: 'defaults', variant: 'user', options: {} },
    { label: 'defaults', variant: 'item', options: {} },
    { label: "the paper's plain configuration", variant: 'user', options: PAPER },
    { label: "the paper's plain configuration", variant: 'item', options: PAPER },
  ];
  for (const run of runs) {
    const options = maxEpochs ? { ...run.options, epochs: maxEpochs } : run.options;
    const model = new AutoRecModel(run.variant, options);
    const fit = await model.fit(d.train, { validation: d.validation });
    const e = evaluateRatings(model, d.test);
    const vsSvd = comparePerUser(
      { users: e.perUser.users, values: e.perUser.mse },
      { users: svdEval.perUser.users, values: svdEval.perUser.mse },
    );
    emit({
      bench: 'autorec',
      dataset: d.name,
      model: model.name,
      configuration: run.label,
      options: changedOptions(model),
      backend: fit.backend,
      epochsRun: fit.epochs.length,
      bestEpoch: fit.bestEpoch,
      medianEpochSeconds: round(medianEpochSeconds(fit)),
      fitSeconds: round(fit.seconds),
      validationRmse: round(fit.epochs.find((x) => x.epoch === fit.bestEpoch)?.validationRmse),
      testRmse: round(e.all.rmse),
      svdTestRmse: round(svdEval.all.rmse),
      pairedVsSvd: {
        users: vsSvd.n,
        meanUserMseDifference: round(vsSvd.tTest.meanDifference, 5),
        t: round(vsSvd.tTest.t, 3),
        tTestP: Number(vsSvd.tTest.pValue.toPrecision(3)),
        wilcoxonP: Number(vsSvd.wilcoxon.pValue.toPrecision(3)),
      },
    });
    model.dispose();
  }
  svd.dispose();
}

/**
 * The AutoRec paper's network as published (raw ratings in and out, 500 sigmoid units, identity
 * output) with this implementation's previous defaults for what the paper leaves open (λ = 100
 * over the whole objective, Adam at 0.002).
 */
const PAPER: AutoRecOptions = {
  residual: false,
  input: 'ratings',
  hiddenUnits: 500,
  encoderActivation: 'sigmoid',
  decoderActivation: 'identity',
  lambda: 100,
  learningRate: 0.002,
  inputDropout: 0,
};

/** The hyper-parameters that differ from the model's defaults. */
function changedOptions(model: AutoRecModel): ParamSet {
  const defaults = autoRecDefaults();
  const out: ParamSet = {};
  for (const [k, v] of Object.entries(model.hyperParameters))
    if (defaults[k as keyof typeof defaults] !== v) out[k] = v;
  return out;
}

// ---- hyper-parameter search ----

type Stage = (base: ParamSet) => ParamSet[];

const scaled = (x: number, k: number) => Number((x * k).toPrecision(2));

const STAGES: Record<string, Stage> = {
  lambda: () =>
    [false, true].flatMap((residual) => [1, 10, 30, 100, 300].map((lambda) => ({ residual, lambda }))),
  shape: (b) =>
    [100, 300, 500].flatMap((hiddenUnits) =>
      [1 / 3, 1, 3].map((k) => ({ hiddenUnits, lambda: scaled(b.lambda as number, k) })),
    ),
  optim: () =>
    [0.0005, 0.001, 0.002, 0.005].flatMap((learningRate) =>
      [0, 64].map((batchSize) => ({ learningRate, batchSize })),
    ),
  activation: () =>
    ['sigmoid', 'tanh', 'relu', 'identity'].flatMap((encoderActivation) =>
      ['identity', 'sigmoid'].map((decoderActivation) => ({ encoderActivation, decoderActivation })),
    ),
  dropout: () => [0, 0.1, 0.25, 0.5].map((inputDropout) => ({ inputDropout })),
  /** The candidates of `--candidates` (a JSON list of option sets, each over the variant's defaults). */
  list: () => JSON.parse(flag('candidates') ?? '[]'),
};

async function tune(d: BenchData, variant: 'user' | 'item'): Promise<void> {
  describeData(d);
  const stageArg = flag('stage') ?? 'all';
  const stages =
    stageArg === 'all' ? ['lambda', 'shape', 'optim', 'activation', 'dropout'] : stageArg.split(',');
  for (const s of stages)
    if (!STAGES[s]) throw new Error(`unknown stage '${s}'; stages: ${Object.keys(STAGES)}`);
  const seeds = flag('seeds')?.split(',').map(Number);
  const defaults = autoRecDefaults() as unknown as ParamSet;
  let base: ParamSet = { ...defaults, ...JSON.parse(flag('base') ?? '{}') };
  if (maxEpochs) base.epochs = maxEpochs;
  for (const stage of stages) {
    const seen = new Set<string>();
    const candidates: ParamSet[] = [];
    for (const c of STAGES[stage](base)) {
      const params = stage === 'list' ? { ...defaults, ...c } : { ...base, ...c };
      const key = JSON.stringify(params);
      if (!seen.has(key)) {
        seen.add(key);
        candidates.push(params);
      }
    }
    const testRmse = new Map<number, number>();
    const result = await tuneHyperParameters({
      makeModel: (p) => new AutoRecModel(variant, p),
      candidates,
      train: d.train,
      validation: d.validation,
      seeds,
      onProgress: (e) => {
        if (e.stage !== 'done' || !e.trial || !e.model) return;
        const test = evaluateRatings(e.model, d.test).all.rmse!;
        testRmse.set(e.index, test);
        emit({
          bench: 'autorec-tune',
          dataset: d.name,
          model: `${variant === 'user' ? 'u' : 'i'}-autorec`,
          stage,
          candidate: `${e.index + 1}/${e.total}`,
          params: diff(e.params, defaults),
          validationRmse: round(e.trial.rmse),
          ...(e.trial.seedScores ? { validationBySeed: e.trial.seedScores.map((x) => round(x)) } : {}),
          testRmse: round(test),
          epochs: e.trial.epochs,
          bestEpoch: e.trial.bestEpoch,
          epochSeconds: round(e.trial.epochSeconds, 3),
          fitSeconds: round(e.trial.fitSeconds, 1),
        });
      },
    });
    const best = result.best!;
    base = { ...best.params };
    emit({
      bench: 'autorec-tune',
      dataset: d.name,
      model: `${variant === 'user' ? 'u' : 'i'}-autorec`,
      stage,
      chosen: diff(best.params, defaults),
      chosenFull: best.params,
      validationRmse: round(best.rmse),
      testRmse: round(testRmse.get(best.index)),
      ranking: result.trials.map((t) => [diff(t.params, defaults), round(t.rmse)]),
    });
  }
}

function diff(p: ParamSet, defaults: ParamSet): ParamSet {
  return Object.fromEntries(Object.entries(p).filter(([k, v]) => defaults[k] !== v));
}

// ---- msd-shape epoch time ----

async function msd(): Promise<void> {
  const { train, generateSeconds } = msdTrainSet();
  // Seconds of batches to time before aborting and extrapolating; 0 runs one full epoch.
  const sliceSeconds = Number(process.env.AUTOREC_MSD_SLICE ?? 60);
  // One thread and the default (all cores) at the auto batch size, then the default at 1,024.
  for (const [batchSize, threads] of [
    [0, 1],
    [0, 0],
    [1024, 0],
  ]) {
    const controller = new AbortController();
    let last = { batch: 0, batches: 1, elapsed: 0 };
    const model = new AutoRecModel('user', { batchSize, epochs: 1, threads });
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
      options: changedOptions(model),
      hiddenUnits: model.hyperParameters.hiddenUnits,
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

if (which === 'tune') {
  const dataset = positional[1];
  const variant = positional[2];
  const load = { lastfm: lastfmData, ml100k: ml100kData, preset: presetData }[dataset];
  if (!load || (variant !== 'user' && variant !== 'item'))
    throw new Error(
      'usage: autorec.ts tune <lastfm|ml100k|preset> <user|item> [--stage …] [--base JSON] [--seeds 1,2]',
    );
  const d = await load();
  if (d) await tune(d, variant);
} else {
  if (which === 'lastfm' || which === 'all') {
    const d = await lastfmData();
    if (d) await compareDefaults(d);
  }
  if (which === 'ml100k' || which === 'all') await compareDefaults(await ml100kData());
  if (which === 'preset') await compareDefaults(presetData());
  if (which === 'msd' || which === 'all') await msd();
}
