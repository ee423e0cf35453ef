/**
 * AutoRec's two training engines side by side — the sparse WebAssembly SIMD kernels and tfjs
 * ops on a tfjs backend — on the same network, batches and seed, as JSON lines.
 *
 *   node --conditions=@autorec/source --import tsx tools/bench/engines.ts [lastfm|msd|all]
 *
 * - `lastfm`: Last.fm HetRec 2K (AUTOREC_REAL_DATA or ../shared/data; `global-quantiles`
 *   ratings), U- and I-AutoRec with 100 and 500 hidden units, 3 epochs each, engines
 *   kernels / tfjs on wasm / tfjs on cpu. Median epoch seconds, the last epoch's training loss
 *   (the engines must agree), and each engine's time as a ratio to the kernels' in the same run.
 * - `msd`: the synthetic `msd` preset (571,355 × 41,140 × 33.6M), U-AutoRec with 500 hidden
 *   units and 1,024 users per batch: a wall-clock slice (AUTOREC_ENGINE_SLICE seconds, default
 *   60) of the kernels on one and on two threads and of tfjs on wasm, extrapolated to one epoch
 *   when the slice ends first (said so in the output), with peak RSS.
 * The Last.fm runs use one thread (`threads: 0` picks one for data that small anyway).
 * Runs one after another in one process, so the ratios compare like with like on a shared machine.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { AutoRecModel, type BackendName } from '@autorec/core';
import { nnz, prepareDataset } from '@autorec/data';
import { readInteractionsFile } from '@autorec/data/node';
import { sharedDataDir } from './data-dir.ts';
import { msdTrainSet } from './msd-data.ts';

const which = process.argv[2] ?? 'all';

function emit(record: Record<string, unknown>): void {
  console.log(JSON.stringify(record));
}

const round = (x: number, digits = 4): number => Number(x.toFixed(digits));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const ENGINES: { label: string; engine: 'kernels' | 'tfjs'; backend: BackendName }[] = [
  { label: 'kernels (wasm-simd)', engine: 'kernels', backend: 'wasm' },
  { label: 'tfjs on wasm', engine: 'tfjs', backend: 'wasm' },
  { label: 'tfjs on cpu', engine: 'tfjs', backend: 'cpu' },
];

async function lastfm(): Promise<void> {
  const file = path.join(sharedDataDir(), 'lastfm-hetrec-2k/user_artists.dat');
  if (!existsSync(file)) {
    console.error(`engines lastfm: skipped, ${file} is absent`);
    return;
  }
  const ds = await readInteractionsFile(file, { format: 'lastfm-hetrec' });
  const prepared = prepareDataset(ds, { split: { method: 'random', test: 0.1, validation: 0.1 }, seed: 7 });
  const train = prepared.trainSet;
  for (const variant of ['user', 'item'] as const)
    for (const hiddenUnits of [100, 500]) {
      let kernelSeconds = 0;
      for (const e of ENGINES) {
        const model = new AutoRecModel(variant, {
          hiddenUnits,
          epochs: 3,
          engine: e.engine,
          backend: e.backend,
        });
        const fit = await model.fit(train);
        const seconds = median(fit.epochs.map((x) => x.seconds));
        if (e.engine === 'kernels') kernelSeconds = seconds;
        emit({
          bench: 'engines',
          dataset: 'lastfm-hetrec-2k',
          model: model.name,
          hiddenUnits,
          engine: e.label,
          backend: fit.backend,
          batchSize: model.hyperParameters.batchSize,
          medianEpochSeconds: round(seconds),
          ratioToKernels: round(seconds / kernelSeconds, 1),
          lastEpochLoss: round(fit.epochs.at(-1)?.loss ?? Number.NaN, 5),
        });
        model.dispose();
      }
    }
}

async function msd(): Promise<void> {
  const { train } = msdTrainSet();
  const sliceSeconds = Number(process.env.AUTOREC_ENGINE_SLICE ?? 60);
  const runs = [
    { ...ENGINES[0], label: 'kernels (wasm-simd), 1 thread', threads: 1 },
    { ...ENGINES[0], label: 'kernels (wasm-simd), 2 threads', threads: 2 },
    { ...ENGINES[1], threads: 1 },
  ];
  for (const e of runs) {
    const controller = new AbortController();
    let last = { batch: 0, batches: 1, elapsed: 0 };
    const model = new AutoRecModel('user', {
      hiddenUnits: 500,
      batchSize: 1024,
      epochs: 1,
      engine: e.engine,
      backend: e.backend,
      threads: e.threads,
    });
    const fit = await model.fit(train, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase !== 'batch') return;
        last = { batch: p.batch, batches: p.batches, elapsed: p.elapsedSeconds };
        if (p.elapsedSeconds >= sliceSeconds) controller.abort();
      },
    });
    emit({
      bench: 'engines',
      dataset: 'msd-shape (synthetic)',
      model: 'u-autorec',
      hiddenUnits: 500,
      batchSize: 1024,
      shape: [train.ratings.rows, train.ratings.cols, nnz(train.ratings)],
      engine: e.label,
      backend: fit.backend,
      note:
        fit.epochs.length === 1
          ? 'one full epoch'
          : `timed ${last.batch} of ${last.batches} batches and extrapolated`,
      secondsTimed: round(last.elapsed, 1),
      epochSeconds:
        fit.epochs.length === 1
          ? round(fit.epochs[0].seconds, 1)
          : round((last.elapsed / Math.max(1, last.batch)) * last.batches, 1),
      peakRssGiB: round(process.resourceUsage().maxRSS / 2 ** 20, 2),
    });
    model.dispose();
  }
}

if (which === 'lastfm' || which === 'all') await lastfm();
if (which === 'msd' || which === 'all') await msd();
