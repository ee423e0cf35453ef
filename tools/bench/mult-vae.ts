/**
 * Mult-VAE on the synthetic `msd` preset (the Mult-VAE-filtered Taste Profile's shape: 571K
 * users × 41,140 songs × 33.6M plays) under the Mult-VAE protocol (Liang et al. 2018): 50,000
 * held-out test users and 50,000 validation users, each folding in 80% of their plays; NDCG@100,
 * Recall@20 and Recall@50 in the paper's form (divided by min(K, |relevant|)) over the test
 * users' other 20%. The issue's bar: one training epoch ≤ 5 minutes on this 2-core machine,
 * peak RSS ≤ 8 GB.
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/mult-vae.ts [--model mult-vae]
 *     [--train-users N] [--eval-users N] [--params KEY=VALUE,…]
 *
 * `--train-users N` trains on a seeded sample of N training users (one pass over them: N / 500
 * Adam steps) and extrapolates the epoch time to all training users — said so in the output;
 * `--eval-users` ranks a seeded sample of the test users. Everything else is the paper's defaults.
 * Progress goes to stderr; one JSON line of results to stdout.
 */

import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  createModel,
  evaluateHeldOutUsers,
  type ModelName,
  type ModelParams,
  setupCompute,
} from '@autorec/core';
import { type CsrMatrix, nnz, prepareDataset, Rng, syntheticDataset } from '@autorec/data';

// The bench is the app: the compute context (tfjs backend) is chosen once here.
const compute = await setupCompute();

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'mult-vae' },
    'train-users': { type: 'string' },
    'eval-users': { type: 'string', default: '5000' },
    params: { type: 'string', default: '' },
  },
});
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const params: ModelParams = { epochs: 1 };
for (const kv of values.params.split(',').filter(Boolean)) {
  const [key, v] = kv.split('=');
  params[key] = Number.isNaN(Number(v)) ? v : Number(v);
}

const t0 = performance.now();
const prepared = prepareDataset(syntheticDataset('msd'), {
  split: { method: 'held-out-users', testUsers: 50_000, validationUsers: 50_000 },
  seed: 98765,
});
const train = prepared.ratings.train;
const trainUsers = countRows(train);
log(
  `msd preset: ${train.rows} users (${trainUsers} training) × ${train.cols} songs, ` +
    `prepared in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
);

const sample = values['train-users'] ? Number(values['train-users']) : undefined;
const ratings = sample !== undefined && sample < trainUsers ? sampleRows(train, sample, 1) : train;
const used = countRows(ratings);
const model = createModel(values.model as ModelName, params);
const fitStart = performance.now();
let lastLog = 0;
const fit = await model.fit(
  { ...prepared.trainSet, ratings },
  {
    onProgress: (p) => {
      if (performance.now() - lastLog > 30_000) {
        lastLog = performance.now();
        log(`  batch ${p.batch}, loss ${p.loss?.toFixed(1)}`);
      }
    },
  },
);
const fitSeconds = (performance.now() - fitStart) / 1000;
const epochSeconds = (fitSeconds / (fit.epochs.length || 1)) * (trainUsers / used);
log(
  `${values.model}: ${fit.epochs.length} pass(es) over ${used} users in ${fitSeconds.toFixed(1)} s on ${fit.backend}; ` +
    `one epoch over ${trainUsers} users ≈ ${epochSeconds.toFixed(0)} s`,
);

const evalStart = performance.now();
const ranking = await evaluateHeldOutUsers(
  model,
  { foldIn: prepared.ratings.foldIn!, test: prepared.ratings.test, testUsers: prepared.split.testUsers },
  { k: [20, 50, 100], maxUsers: Number(values['eval-users']), seed: 1 },
);
const evalSeconds = (performance.now() - evalStart) / 1000;
const [at20, at50, at100] = ranking.atK;
console.log(
  JSON.stringify({
    bench: 'mult-vae',
    model: values.model,
    params,
    backend: compute.backend.name,
    trainUsers,
    usersTrained: used,
    extrapolated: used < trainUsers,
    fitSeconds: Number(fitSeconds.toFixed(1)),
    epochSeconds: Math.round(epochSeconds),
    evalUsers: ranking.users,
    evalSeconds: Number(evalSeconds.toFixed(1)),
    ndcg100: Number(at100.ndcg.toFixed(4)),
    recall20: Number(at20.truncatedRecall.toFixed(4)),
    recall50: Number(at50.truncatedRecall.toFixed(4)),
    peakRssGB: Number((process.resourceUsage().maxRSS / 2 ** 20).toFixed(2)),
    loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
  }),
);
model.dispose();

/** Rows with at least one play. */
function countRows(m: CsrMatrix): number {
  let n = 0;
  for (let u = 0; u < m.rows; u++) if (m.indptr[u + 1] > m.indptr[u]) n++;
  return n;
}

/** `m` with only a seeded sample of `n` of its non-empty rows kept (the others emptied), same shape. */
function sampleRows(m: CsrMatrix, n: number, seed: number): CsrMatrix {
  const nonEmpty: number[] = [];
  for (let u = 0; u < m.rows; u++) if (m.indptr[u + 1] > m.indptr[u]) nonEmpty.push(u);
  const order = new Rng(seed).permutation(nonEmpty.length);
  const keep = new Uint8Array(m.rows);
  for (let j = 0; j < n; j++) keep[nonEmpty[order[j]]] = 1;
  const indptr = new Uint32Array(m.rows + 1);
  for (let u = 0; u < m.rows; u++) indptr[u + 1] = indptr[u] + (keep[u] ? m.indptr[u + 1] - m.indptr[u] : 0);
  const indices = new Uint32Array(indptr[m.rows]);
  const values = new Float32Array(indptr[m.rows]);
  for (let u = 0; u < m.rows; u++)
    if (keep[u]) {
      indices.set(m.indices.subarray(m.indptr[u], m.indptr[u + 1]), indptr[u]);
      values.set(m.values.subarray(m.indptr[u], m.indptr[u + 1]), indptr[u]);
    }
  const out = { rows: m.rows, cols: m.cols, indptr, indices, values };
  if (nnz(out) === 0) throw new RangeError('mult-vae bench: the sample has no plays');
  return out;
}
