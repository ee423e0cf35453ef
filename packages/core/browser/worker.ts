/// <reference lib="webworker" />
/**
 * Runs inside a module Web Worker in Chromium (bundled by `browser.test.ts` with esbuild): the
 * browser half of the core's browser tests. It reports what it found to the page, which hands
 * it to the Node side for the assertions:
 * - the backend `setupCompute()` picks by itself in a worker (expected: webgl → wasm → cpu); the
 *   worker is the app here, so it sets the compute context before each run (models never do);
 * - on each of webgl, wasm and cpu: I-AutoRec trained with the tfjs engine and with the sparse
 *   kernels on the same planted data, their predictions, and their epoch times;
 * - when asked (tools/bench/browser.ts), epoch times of both engines on WebGL and wasm on an
 *   ML-100K-sized planted set;
 * - I-AutoRec on one thread and on two (the kernel pool's browser workers, nested in this one);
 * - a model that Node saved to a directory, loaded over HTTP with `fetchStore`, and its
 *   predictions and scores on pairs the Node side chose.
 */

import { entryCoordinates } from '@autorec/data';
import { plantedRatings } from '@autorec/test-utils';
import type { BackendName } from '../src/engine/backend.ts';
import { backendInfo } from '../src/engine/backend.ts';
import { setupCompute } from '../src/engine/compute.ts';
import { IAutoRecModel } from '../src/models/autorec.ts';
import { loadModel } from '../src/models/registry.ts';
import { fetchStore } from '../src/stores/fetch.ts';
import { type DeterminismProbe, determinismProbe } from './determinism.ts';

export interface WorkerRequest {
  /** URL prefix of tfjs-backend-wasm's .wasm files. */
  wasmPaths: string;
  /** Saved models to load over HTTP: base URL → pairs to predict and a user to recommend for. */
  saved: { url: string; users: number[]; items: number[]; user: string }[];
  /** Epochs to time per backend and engine on the ML-100K-sized set (0: skip; the benchmark's part). */
  timingEpochs: number;
}

export interface EngineRun {
  backend: string;
  fitBackend: string;
  epochSeconds: number[];
  predictions: number[];
}

export interface WorkerResult {
  autoBackend: { name: string; reason: string };
  /** Whether the worker is cross-origin isolated (shared memory available). */
  isolated: boolean;
  /** I-AutoRec trained on one thread and on two (worker threads inside this worker). */
  threads: { fitBackend: string; predictions: number[] }[];
  runs: EngineRun[];
  /** Epoch times on an ML-100K-sized planted set (943 × 1,682 × 100K), per backend and engine (when asked). */
  timing: { fitBackend: string; epochSeconds: number[] }[];
  loaded: {
    url: string;
    name: string;
    predictions: number[];
    recommendations: { item: string; score: number }[];
  }[];
  /** Seeded draws and splits, for comparison with Node's (see determinism.ts). */
  determinism?: DeterminismProbe;
  error?: string;
}

async function run(request: WorkerRequest): Promise<WorkerResult> {
  const auto = (await setupCompute({ wasmPaths: request.wasmPaths })).backend;
  const { train, test } = plantedRatings({ users: 150, items: 100, ratings: 4000, seed: 3 });
  const { rows: users, cols: items } = entryCoordinates(test);
  const runs: EngineRun[] = [];
  for (const backend of ['webgl', 'wasm', 'cpu'] as BackendName[])
    for (const engine of ['tfjs', 'kernels'] as const) {
      await setupCompute({ backend, wasmPaths: request.wasmPaths });
      const model = new IAutoRecModel({
        hiddenUnits: 16,
        epochs: 3,
        batchSize: 32,
        seed: 5,
        backend,
        engine,
      });
      const fit = await model.fit(train);
      runs.push({
        backend: backendInfo()?.name ?? '?',
        fitBackend: fit.backend ?? '?',
        epochSeconds: fit.epochs.map((e) => e.seconds),
        predictions: Array.from(model.predictIndices(users, items)),
      });
      model.dispose();
    }
  const threads: WorkerResult['threads'] = [];
  await setupCompute({ backend: 'wasm', wasmPaths: request.wasmPaths });
  for (const n of [1, 2]) {
    const model = new IAutoRecModel({ hiddenUnits: 16, epochs: 3, batchSize: 32, seed: 5, threads: n });
    const fit = await model.fit(train);
    threads.push({
      fitBackend: fit.backend ?? '?',
      predictions: Array.from(model.predictIndices(users, items)),
    });
    model.dispose();
  }
  const timing: WorkerResult['timing'] = [];
  const big =
    request.timingEpochs > 0
      ? plantedRatings({ users: 943, items: 1682, ratings: 100_000, seed: 1 })
      : undefined;
  for (const backend of big ? (['webgl', 'wasm'] as BackendName[]) : [])
    for (const engine of ['tfjs', 'kernels'] as const) {
      await setupCompute({ backend, wasmPaths: request.wasmPaths });
      const model = new IAutoRecModel({ epochs: request.timingEpochs, backend, engine });
      const fit = await model.fit(big!.train);
      timing.push({ fitBackend: fit.backend ?? '?', epochSeconds: fit.epochs.map((e) => e.seconds) });
      model.dispose();
    }
  await setupCompute({ backend: auto.name, wasmPaths: request.wasmPaths });
  const loaded: WorkerResult['loaded'] = [];
  for (const s of request.saved) {
    const model = await loadModel(fetchStore(s.url));
    loaded.push({
      url: s.url,
      name: model.name,
      predictions: Array.from(model.predictIndices(Int32Array.from(s.users), Int32Array.from(s.items))),
      recommendations: model.recommend(s.user, 5),
    });
    model.dispose();
  }
  return {
    autoBackend: auto,
    isolated: self.crossOriginIsolated === true,
    threads,
    runs,
    timing,
    loaded,
    determinism: determinismProbe(),
  };
}

const scope = self as unknown as DedicatedWorkerGlobalScope;
scope.onmessage = (event: MessageEvent<WorkerRequest>) => {
  run(event.data).then(
    (result) => scope.postMessage(result),
    (error: Error) => scope.postMessage({ error: `${error.name}: ${error.message}\n${error.stack ?? ''}` }),
  );
};
