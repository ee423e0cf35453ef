/**
 * Mult-VAE on the synthetic `msd` preset (the Mult-VAE-filtered Taste Profile's shape: 571K
 * users × 41,140 songs × 33.6M plays) under the Mult-VAE protocol (Liang et al. 2018): 50,000
 * held-out test users and 50,000 validation users, each folding in 80% of their plays; NDCG@100,
 * Recall@20 and Recall@50 in the paper's form (divided by min(K, |relevant|)) over the test
 * users' other 20%. The issue's bar: one training epoch ≤ 5 minutes on this 2-core machine,
 * peak RSS ≤ 8 GB.
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/mult-vae.ts [--model mult-vae]
 *     [--train-users N] [--eval-users N|all] [--ranking model|both|all] [--params KEY=VALUE,…]
 *
 * `--train-users N` trains on a seeded sample of N training users (one pass over them: N / 500
 * Adam steps) and extrapolates the epoch time to all training users from the steps after the
 * first (the setup — weights, BaselineOnly — apart) — said so in the output;
 * `--eval-users` ranks a seeded sample of the test users (`all`: every one of them).
 * `--ranking both` ranks them again in the same run on the typed-array network (`kernels: 'js'`,
 * tfjs products; the same weights, saved and loaded in memory) after the model's own path (the
 * WebAssembly kernels where they run), 256 listeners a forward pass as well; `--ranking all`
 * also one listener at a time (`scoreFoldIn` per listener: the protocol before 2026-12-06).
 * Each path's time and metrics are reported.
 * Everything else is the paper's defaults;
 * `--params sampledSoftmax=2048` (the bar's setting), `kernels=js` (the typed-array network),
 * `threads=N` are the model's options.
 * Progress goes to stderr; one JSON line of results to stdout.
 */

import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import {
  createModel,
  evaluateHeldOutUsers,
  loadModel,
  type ModelName,
  type ModelParams,
  memoryStore,
  Recommender,
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
    ranking: { type: 'string', default: 'model' },
    params: { type: 'string', default: '' },
  },
});
const log = (msg: string) => process.stderr.write(`${msg}\n`);
// One epoch unless --params says otherwise; models without epochs (popularity) take none.
const params: ModelParams = values.model.startsWith('mult-') ? { epochs: 1 } : {};
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
const fitCpu = process.cpuUsage();
let lastLog = 0;
// The first batch event: steps after it are timed apart from the setup (weights, BaselineOnly).
let first: { batch: number; wall: number; cpu: NodeJS.CpuUsage } | undefined;
const fit = await model.fit(
  { ...prepared.trainSet, ratings },
  {
    onProgress: (p) => {
      if (p.phase === 'batch' && !first && p.batch !== undefined)
        first = { batch: p.batch, wall: performance.now(), cpu: process.cpuUsage() };
      if (performance.now() - lastLog > 30_000) {
        lastLog = performance.now();
        log(`  batch ${p.batch}, loss ${p.loss?.toFixed(1)}`);
      }
    },
  },
);
const fitSeconds = (performance.now() - fitStart) / 1000;
const cpu = process.cpuUsage(fitCpu);
const fitCpuSeconds = (cpu.user + cpu.system) / 1e6;
const batchSize = Number(params.batchSize ?? 500);
const stepsDone = Math.ceil(used / batchSize) * fit.epochs.length;
const epochSteps = Math.ceil(trainUsers / batchSize);
let stepSeconds = fitSeconds / stepsDone;
let stepCpuSeconds = fitCpuSeconds / stepsDone;
if (first && stepsDone > first.batch) {
  const c = process.cpuUsage(first.cpu);
  stepSeconds = (performance.now() - fitStart - (first.wall - fitStart)) / 1000 / (stepsDone - first.batch);
  stepCpuSeconds = (c.user + c.system) / 1e6 / (stepsDone - first.batch);
}
// An epoch is `epochSteps` steps; the setup (weights, BaselineOnly fit) is reported apart.
// Measured: the fit over its epochs (setup included), per epoch.
const epochSeconds =
  used < trainUsers ? stepSeconds * epochSteps : fitSeconds / Math.max(1, fit.epochs.length);
const epochCpuSeconds =
  used < trainUsers ? stepCpuSeconds * epochSteps : fitCpuSeconds / Math.max(1, fit.epochs.length);
log(
  `${values.model}: ${fit.epochs.length} pass(es) over ${used} users in ${fitSeconds.toFixed(1)} s on ${fit.backend}; ` +
    `one epoch over ${trainUsers} users ≈ ${epochSeconds.toFixed(0)} s (CPU ${epochCpuSeconds.toFixed(0)} s)`,
);

if (!['model', 'both', 'all'].includes(values.ranking))
  throw new RangeError(`--ranking: 'model', 'both' or 'all', got '${values.ranking}'`);
const evalUsers = values['eval-users'] === 'all' ? undefined : Number(values['eval-users']);
/** The held-out protocol on `m`: its metrics and its wall time. */
async function rank(m: Recommender) {
  const start = performance.now();
  const r = await evaluateHeldOutUsers(
    m,
    { foldIn: prepared.ratings.foldIn!, test: prepared.ratings.test, testUsers: prepared.split.testUsers },
    { k: [20, 50, 100], maxUsers: evalUsers, seed: 1 },
  );
  const seconds = (performance.now() - start) / 1000;
  const [at20, at50, at100] = r.atK;
  return {
    users: r.users,
    seconds,
    ndcg100: Number(at100.ndcg.toFixed(4)),
    recall20: Number(at20.truncatedRecall.toFixed(4)),
    recall50: Number(at50.truncatedRecall.toFixed(4)),
  };
}
/** What ranks: the kernels and their threads, or 'js' (Mult-VAE / Mult-DAE only). */
const rankingEngine = (m: Recommender) => (m as { rankingEngine?: string }).rankingEngine;
log(`ranking on ${rankingEngine(model) ?? 'the model'}…`);
const ranking = await rank(model);
log(`  ${ranking.users} users in ${ranking.seconds.toFixed(1)} s, NDCG@100 ${ranking.ndcg100}`);
let typedArray: (Awaited<ReturnType<typeof rank>> & { engine?: string }) | undefined;
let perListener: Awaited<ReturnType<typeof rank>> | undefined;
if (values.ranking !== 'model') {
  // The same weights on the typed-array network: saved in memory, loaded with kernels 'js'.
  const store = memoryStore();
  await model.save(store);
  const manifest = JSON.parse(await store.readText('manifest.json'));
  manifest.hyperParameters.kernels = 'js';
  const files = Object.fromEntries(store.files().map((f) => [f, store.peek(f) as Uint8Array]));
  const js = await loadModel(memoryStore({ ...files, 'manifest.json': JSON.stringify(manifest) }));
  log(`ranking on ${rankingEngine(js)}…`);
  typedArray = { ...(await rank(js)), engine: rankingEngine(js) };
  log(`  ${typedArray.users} users in ${typedArray.seconds.toFixed(1)} s, NDCG@100 ${typedArray.ndcg100}`);
  if (values.ranking === 'all') {
    // The base class's scoreFoldInRows: scoreFoldIn once per listener, as the protocol ran before.
    Object.assign(js, { scoreFoldInRows: Recommender.prototype.scoreFoldInRows });
    log('ranking on js, one listener at a time…');
    perListener = await rank(js);
    log(
      `  ${perListener.users} users in ${perListener.seconds.toFixed(1)} s, NDCG@100 ${perListener.ndcg100}`,
    );
  }
  js.dispose();
}
console.log(
  JSON.stringify({
    bench: 'mult-vae',
    model: values.model,
    params,
    backend: compute.backend.name,
    // What trained: the kernels and their threads ('wasm-simd×2'), or the tfjs backend's name.
    engine: fit.backend,
    trainUsers,
    usersTrained: used,
    extrapolated: used < trainUsers,
    fitSeconds: Number(fitSeconds.toFixed(1)),
    stepSeconds: Number(stepSeconds.toFixed(3)),
    stepCpuSeconds: Number(stepCpuSeconds.toFixed(3)),
    epochSteps,
    epochSeconds: Math.round(epochSeconds),
    fitCpuSeconds: Number(fitCpuSeconds.toFixed(1)),
    epochCpuSeconds: Math.round(epochCpuSeconds),
    rankingEngine: rankingEngine(model),
    evalUsers: ranking.users,
    evalSeconds: Number(ranking.seconds.toFixed(1)),
    ndcg100: ranking.ndcg100,
    recall20: ranking.recall20,
    recall50: ranking.recall50,
    // --ranking both: the same users on the typed-array network, and how much faster the model's path was.
    ...(typedArray && {
      typedArray: { ...typedArray, seconds: Number(typedArray.seconds.toFixed(1)) },
      rankingSpeedup: Number((typedArray.seconds / ranking.seconds).toFixed(1)),
    }),
    ...(perListener && {
      perListener: { ...perListener, seconds: Number(perListener.seconds.toFixed(1)) },
      speedupOverPerListener: Number((perListener.seconds / ranking.seconds).toFixed(1)),
    }),
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
