import { entryCoordinates } from '@autorec/data';
import { contractTrainSet, plantedRatings } from '@autorec/test-utils';
import { runRecommenderContract } from '@autorec/test-utils/contract';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendName } from '../engine/backend.ts';
import { setupCompute } from '../engine/compute.ts';
import { type AutoRecOptions, IAutoRecModel, resolveEngine, UAutoRecModel } from './autorec.ts';

const small = { hiddenUnits: 12, epochs: 8, batchSize: 16, lambda: 1, seed: 3 };

// The test is the app here: it sets up the tfjs backend the tfjs engine runs on (wasm, and cpu below).
beforeAll(async () => {
  await setupCompute({ backend: 'wasm' });
});

runRecommenderContract('u-autorec (tfjs engine)', () => new UAutoRecModel({ ...small, engine: 'tfjs' }));
runRecommenderContract(
  'i-autorec (tfjs engine, rprop, dropout, sigmoid decoder)',
  () =>
    new IAutoRecModel({
      ...small,
      engine: 'tfjs',
      optimizer: 'rprop',
      learningRate: 0.01,
      inputDropout: 0.2,
      decoderActivation: 'sigmoid',
    }),
);

// One contract, every backend Node has: the tfjs engine on tfjs's cpu backend too.
describe('on the cpu backend', () => {
  beforeAll(async () => {
    await setupCompute({ backend: 'cpu' });
  });
  afterAll(async () => {
    await setupCompute({ backend: 'wasm' });
  });
  runRecommenderContract(
    'u-autorec (tfjs engine on the cpu backend)',
    () => new UAutoRecModel({ ...small, engine: 'tfjs', backend: 'cpu' }),
  );
});

/** Trains the same network with both engines and returns both models' predictions on `pairs`. */
async function bothEngines(
  variant: 'user' | 'item',
  options: AutoRecOptions,
  backend: BackendName,
): Promise<{ kernels: Float32Array; tfjs: Float32Array; epochsK: number[]; epochsT: number[] }> {
  await setupCompute({ backend });
  const { train, test } = plantedRatings({ users: 120, items: 80, seed: 11 });
  const make = (engine: 'kernels' | 'tfjs') =>
    variant === 'user'
      ? new UAutoRecModel({ ...options, engine, backend })
      : new IAutoRecModel({ ...options, engine, backend });
  const { rows: users, cols: items } = entryCoordinates(test);
  const k = make('kernels');
  const fk = await k.fit(train);
  const t = make('tfjs');
  const ft = await t.fit(train);
  expect(fk.backend).toBe(`${backend}+wasm-simd`);
  expect(ft.backend).toBe(`${backend}+tfjs`);
  const out = {
    kernels: k.predictIndices(users, items),
    tfjs: t.predictIndices(users, items),
    epochsK: fk.epochs.map((e) => e.loss),
    epochsT: ft.epochs.map((e) => e.loss),
  };
  k.dispose();
  t.dispose();
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let q = 0; q < a.length; q++) d = Math.max(d, Math.abs(a[q] - b[q]));
  return d;
}

describe('AutoRec on tfjs ops agrees with the sparse kernels', () => {
  afterAll(async () => {
    await setupCompute({ backend: 'wasm' });
  });

  // Same initial weights, batches and dropout draws: the engines differ only in float rounding
  // (summation order), which grows slowly over the epochs.
  for (const backend of ['cpu', 'wasm'] as const) {
    it(`U-AutoRec, Adam, sigmoid encoder, with input dropout, on the ${backend} backend`, async () => {
      const r = await bothEngines('user', { ...small, epochs: 3, inputDropout: 0.25 }, backend);
      expect(maxAbsDiff(r.kernels, r.tfjs)).toBeLessThan(1e-4);
      for (let e = 0; e < r.epochsK.length; e++) expect(r.epochsT[e]).toBeCloseTo(r.epochsK[e], 4);
    });
  }

  it('I-AutoRec, Adam, tanh encoder and sigmoid decoder on raw ratings', async () => {
    const r = await bothEngines(
      'item',
      { ...small, epochs: 3, encoderActivation: 'tanh', decoderActivation: 'sigmoid', residual: false },
      'wasm',
    );
    expect(maxAbsDiff(r.kernels, r.tfjs)).toBeLessThan(1e-4);
  });

  it('U-AutoRec, RProp (full batch) with a relu encoder', async () => {
    const r = await bothEngines(
      'user',
      { ...small, epochs: 3, optimizer: 'rprop', learningRate: 0.01, encoderActivation: 'relu' },
      'wasm',
    );
    expect(maxAbsDiff(r.kernels, r.tfjs)).toBeLessThan(1e-4);
    for (let e = 0; e < r.epochsK.length; e++) expect(r.epochsT[e]).toBeCloseTo(r.epochsK[e], 4);
  });

  it('learns: the loss falls epoch after epoch on planted structure', async () => {
    const r = await bothEngines('user', { ...small, epochs: 6 }, 'wasm');
    for (let e = 1; e < r.epochsT.length; e++) expect(r.epochsT[e]).toBeLessThan(r.epochsT[e - 1]);
  });

  it('keeps the tfjs tensor count flat from batch to batch and frees everything after fit', async () => {
    await setupCompute({ backend: 'wasm' });
    const data = contractTrainSet();
    const model = new UAutoRecModel({ ...small, batchSize: 2, epochs: 4, engine: 'tfjs' });
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    await model.fit(data, { onProgress: () => counts.push(tf.memory().numTensors) });
    expect(counts.length).toBeGreaterThan(4);
    // Every batch event sees the same number of live tensors (weights, moments, loss sums).
    expect(new Set(counts.slice(1, -1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
  });

  it('auto picks tfjs only on tfjs-node', () => {
    expect(resolveEngine('auto', 'node')).toBe('tfjs');
    expect(resolveEngine('auto', 'wasm')).toBe('kernels');
    expect(resolveEngine('auto', 'cpu')).toBe('kernels');
    expect(resolveEngine('auto', 'webgl')).toBe('kernels');
    expect(resolveEngine('tfjs', 'wasm')).toBe('tfjs');
  });
});
