import {
  type CsrMatrix,
  entryCoordinates,
  heldOutUsersSplit,
  nnz,
  rowIndices,
  rowValues,
} from '@autorec/data';
import { contractTrainSet, plantedRatings } from '@autorec/test-utils';
import { runRecommenderContract } from '@autorec/test-utils/contract';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeContext, setupCompute } from '../engine/compute.ts';
import { evaluateRanking } from '../evaluation/ranking.ts';
import { memoryStore } from '../stores/memory.ts';
import { type AutoRecModel, autoRecDefaults, IAutoRecModel, UAutoRecModel } from './autorec.ts';
import { fitBiases } from './autorec-biases.ts';
import { readWeights } from './autorec-persist.ts';
import { loadModel } from './registry.ts';

const small = { hiddenUnits: 12, epochs: 8, batchSize: 16, lambda: 1, seed: 3 };

// The app's compute context, as the CLI sets it up: ranking runs as one wasm matMul per batch.
beforeAll(async () => {
  await setupCompute({ backend: 'wasm' });
});

/** The defaults the class comment documents, with the evidence for them. */
const DOCUMENTED_DEFAULTS = {
  hiddenUnits: 100,
  encoderActivation: 'sigmoid',
  decoderActivation: 'identity',
  lambda: 30,
  learningRate: 0.001,
  residual: true,
  input: 'ratings',
  inputDropout: 0,
};
runRecommenderContract('u-autorec', () => new UAutoRecModel(small));
runRecommenderContract('i-autorec', () => new IAutoRecModel(small));
runRecommenderContract(
  'u-autorec (residual inputs, dropout, rprop)',
  () =>
    new UAutoRecModel({
      ...small,
      input: 'residuals',
      inputDropout: 0.2,
      optimizer: 'rprop',
      learningRate: 0.01,
    }),
);
runRecommenderContract(
  'i-autorec (raw ratings as in the paper, js kernels, sigmoid decoder)',
  () => new IAutoRecModel({ ...small, residual: false, kernels: 'js', decoderActivation: 'sigmoid' }),
);

runRecommenderContract(
  'i-autorec (implicit objective)',
  () => new IAutoRecModel({ ...small, objective: 'implicit', negatives: 4, negativeWeight: 0.25 }),
);
runRecommenderContract(
  'u-autorec (implicit objective, SELU, high dropout)',
  () =>
    new UAutoRecModel({
      ...small,
      objective: 'implicit',
      encoderActivation: 'selu',
      inputDropout: 0.8,
      decoderActivation: 'sigmoid',
    }),
);

function testRmse(model: AutoRecModel, test: CsrMatrix): number {
  const { rows: users, cols: items } = entryCoordinates(test);
  const pred = model.predictIndices(users, items);
  let sse = 0;
  for (let q = 0; q < pred.length; q++) sse += (pred[q] - test.values[q]) ** 2;
  return Math.sqrt(sse / pred.length);
}

describe('AutoRec on planted structure', () => {
  const { train, test, noiseFloor } = plantedRatings({ seed: 5 });
  const b = fitBiases(train.ratings);
  let meanSse = 0;
  for (const v of test.values) meanSse += (v - b.mean) ** 2;
  const meanRmse = Math.sqrt(meanSse / nnz(test));

  for (const Model of [UAutoRecModel, IAutoRecModel])
    it(`${Model.name} recovers it: test RMSE far below the global mean, near the noise`, async () => {
      // Which entries are rated is uniformly random here, so the encoder does best on residuals.
      const model = new Model({
        hiddenUnits: 32,
        epochs: 80,
        lambda: 10,
        learningRate: 0.002,
        residual: true,
        input: 'residuals',
        seed: 1,
      });
      const fit = await model.fit(train);
      const rmse = testRmse(model, test);
      // Measured: global mean 0.89, noise 0.30, U-AutoRec 0.39, I-AutoRec 0.41.
      expect(meanRmse).toBeGreaterThan(0.85);
      expect(rmse).toBeLessThan(0.5 * meanRmse);
      expect(rmse).toBeLessThan(noiseFloor + 0.15);
      expect(fit.epochs.at(-1)!.loss).toBeLessThan(fit.epochs[0].loss);
      model.dispose();
    });

  it('the paper configuration (raw ratings) learns too, and early stopping keeps the best epoch', async () => {
    const model = new UAutoRecModel({
      hiddenUnits: 32,
      epochs: 60,
      lambda: 1,
      learningRate: 0.002,
      batchSize: 32,
      patience: 5,
      residual: false,
    });
    const { train: tr, test: te } = plantedRatings({ seed: 6, testShare: 0.3 });
    // Half of the held-out ratings validate, half test.
    const half = (m: CsrMatrix, keep: 0 | 1): CsrMatrix => {
      const indptr = new Uint32Array(m.rows + 1);
      const indices: number[] = [];
      const values: number[] = [];
      for (let u = 0; u < m.rows; u++) {
        for (let q = m.indptr[u]; q < m.indptr[u + 1]; q++)
          if (q % 2 === keep) {
            indices.push(m.indices[q]);
            values.push(m.values[q]);
          }
        indptr[u + 1] = indices.length;
      }
      return {
        rows: m.rows,
        cols: m.cols,
        indptr,
        indices: Uint32Array.from(indices),
        values: Float32Array.from(values),
      };
    };
    const fit = await model.fit(tr, { validation: half(te, 0) });
    const best = fit.epochs.find((e) => e.epoch === fit.bestEpoch)!;
    for (const e of fit.epochs) expect(best.validationRmse!).toBeLessThanOrEqual(e.validationRmse!);
    // Restored weights are the best epoch's: validation RMSE recomputed now equals the recorded one.
    expect(testRmse(model, half(te, 0))).toBeCloseTo(best.validationRmse!, 5);
    expect(testRmse(model, half(te, 1))).toBeLessThan(0.75 * meanRmse);
    model.dispose();
  });
});

describe('validation NDCG@10 per epoch', () => {
  const { train, test } = plantedRatings({ seed: 7, testShare: 0.2 });
  const options = { hiddenUnits: 16, epochs: 6, batchSize: 32, lambda: 1, seed: 4, patience: 6 };

  it('is recorded by the implicit objective, which early-stops on it (no validation RMSE then)', async () => {
    const model = new IAutoRecModel({ ...options, objective: 'implicit' });
    const seen: number[] = [];
    const fit = await model.fit(train, {
      validation: test,
      onProgress: (p) => {
        if (p.phase === 'epoch' && p.validationNdcg !== undefined) seen.push(p.validationNdcg);
      },
    });
    const ndcgs = fit.epochs.map((e) => e.validationNdcg!);
    expect(ndcgs).toHaveLength(fit.epochs.length);
    expect(seen).toEqual(ndcgs);
    for (const v of ndcgs) expect(v).toBeGreaterThan(0);
    expect(fit.epochs.every((e) => e.validationRmse === undefined)).toBe(true);
    // The kept epoch is the one with the highest NDCG.
    expect(ndcgs[fit.bestEpoch - 1]).toBe(Math.max(...ndcgs));
    model.dispose();
  });

  it('is measured beside RMSE for the rating objective when asked, without changing the training', async () => {
    const plain = new UAutoRecModel(options);
    const asked = new UAutoRecModel(options);
    const a = await plain.fit(train, { validation: test });
    const b = await asked.fit(train, { validation: test, validationRanking: true });
    expect(a.epochs.every((e) => e.validationNdcg === undefined)).toBe(true);
    expect(b.epochs.every((e) => e.validationNdcg !== undefined && e.validationNdcg > 0)).toBe(true);
    // Early stopping still follows RMSE: the same epochs, losses and kept epoch as without it.
    expect(b.epochs.map((e) => [e.loss, e.validationRmse])).toEqual(
      a.epochs.map((e) => [e.loss, e.validationRmse]),
    );
    expect(b.bestEpoch).toBe(a.bestEpoch);
    // It is the evaluation module's NDCG@10: the restored weights are the kept epoch's.
    const again = await evaluateRanking(asked, test, { k: 10, maxUsers: 1000 });
    expect(again.atK[0].ndcg).toBeCloseTo(b.epochs[b.bestEpoch - 1].validationNdcg!, 10);
    plain.dispose();
    asked.dispose();
  });
});

describe('AutoRec behaviour', () => {
  const data = contractTrainSet();

  it('folds in a training user’s own ratings to the same ranking as recommend (U-AutoRec)', async () => {
    for (const options of [
      { residual: false },
      { residual: true },
      { residual: true, input: 'residuals' as const },
    ]) {
      const model = new UAutoRecModel({ ...small, ...options });
      await model.fit(data);
      for (const u of [0, 7, 20]) {
        const items = rowIndices(data.ratings, u);
        const scores = model.scoreFoldIn(items, rowValues(data.ratings, u));
        const own = model.scoreUsers(Uint32Array.of(u));
        expect(Array.from(scores)).toEqual(Array.from(own));
      }
      model.dispose();
    }
  });

  it('folds in under I-AutoRec by ridge on the song codes: a training user ranks much like recommend', async () => {
    const { train } = plantedRatings({ seed: 8 });
    const model = new IAutoRecModel({ hiddenUnits: 24, epochs: 40, lambda: 10, residual: true });
    await model.fit(train);
    let overlap = 0;
    for (const u of [0, 1, 2, 3, 4]) {
      const user = train.users.external(u);
      const seen = rowIndices(train.ratings, u);
      const fromModel = model.recommend(user, 10).map((r) => r.item);
      const { items, ratings } = { items: seen, ratings: rowValues(train.ratings, u) };
      const scores = model.scoreFoldIn(items, ratings);
      const seenSet = new Set(seen);
      const order = Array.from(scores.keys())
        .filter((i) => !seenSet.has(i))
        .sort((a, b) => scores[b] - scores[a])
        .slice(0, 10)
        .map((i) => train.items.external(i));
      overlap += fromModel.filter((i) => order.includes(i)).length;
    }
    // Measured 36/50; a random list would share about 10·10/150·5 ≈ 3.
    expect(overlap).toBeGreaterThanOrEqual(25);
    model.dispose();
  });

  it('keeps the tfjs tensor count flat across epochs, fits and scoring', async () => {
    // Big enough for the dense product on wasm (users × items × hidden ≥ 32K multiply-adds).
    const { train: big } = plantedRatings({ users: 64, items: 100, seed: 5 });
    const everyone = Uint32Array.from({ length: 64 }, (_, u) => u);
    const model = new IAutoRecModel({ ...small, epochs: 3 });
    await model.fit(big);
    model.scoreUsers(everyone);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    await model.fit(big, { onProgress: () => counts.push(tf.memory().numTensors) });
    for (let k = 0; k < 3; k++) {
      model.scoreUsers(everyone);
      model.scoreFoldIn(Uint32Array.of(1, 2), Float32Array.of(4, 2));
      model.recommend('u3', 5);
    }
    expect(counts.length).toBeGreaterThan(0);
    for (const c of counts) expect(c).toBeLessThanOrEqual(before);
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before - 1);
  });

  it('stops at the next batch boundary on abort and stays usable, keeping the best weights so far', async () => {
    const { train, test } = plantedRatings({ users: 600, items: 300, seed: 9 });
    const controller = new AbortController();
    const model = new UAutoRecModel({
      hiddenUnits: 32,
      epochs: 10_000,
      batchSize: 16,
      patience: 10_000,
      residual: true,
    });
    const fit = await model.fit(train, {
      validation: test,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'epoch' && p.epoch === 3) controller.abort();
      },
    });
    // The abort is seen after the first batch of epoch 4, which is not recorded.
    expect(fit.aborted).toBe(true);
    expect(fit.epochs).toHaveLength(3);
    const best = Math.min(...fit.epochs.map((e) => e.validationRmse!));
    expect(testRmse(model, test)).toBeCloseTo(best, 5);
    expect(model.recommend(train.users.external(0), 3)).toHaveLength(3);
    model.dispose();
  });

  it('falls back to the training biases for cold users and songs, not to an untrained output', async () => {
    const model = new UAutoRecModel(small);
    await model.fit(data);
    const b = fitBiases(data.ratings);
    const coldItem = data.items.size - 1;
    const coldUser = data.users.size - 1;
    const [a, c, d] = model.predictIndices(Int32Array.of(0, coldUser, -1), Int32Array.of(coldItem, 3, -1));
    const clip = (x: number) => Math.min(5, Math.max(1, x));
    expect(a).toBeCloseTo(clip(b.mean + b.user[0]), 5);
    expect(c).toBeCloseTo(clip(b.mean + b.item[3]), 5);
    expect(d).toBeCloseTo(clip(b.mean), 5);
    model.dispose();
  });

  it('reports the backend and kernels it used', async () => {
    const model = new UAutoRecModel({ ...small, epochs: 1 });
    const fit = await model.fit(data);
    expect(fit.backend).toMatch(/^wasm\+(wasm-simd|js)$/);
    expect(model.backendInfo).toEqual(computeContext()?.backend);
    model.dispose();
  });

  it("encodes ratings with 0 for unobserved (the paper's layout) unless asked for residuals", async () => {
    for (const input of ['ratings', 'residuals'] as const) {
      const model = new UAutoRecModel({ ...small, residual: true, input });
      await model.fit(data);
      const store = memoryStore();
      await model.save(store);
      const { weights } = await readWeights(store, 'u-autorec');
      const w = (name: string) => weights.get(name)!.data;
      const [E, be, V, bv] = ['encoder/kernel', 'encoder/bias', 'decoder/kernel', 'decoder/bias'].map(w);
      const [mean] = w('baseline/mean');
      const bu = w('baseline/user');
      const bi = w('baseline/item');
      const hidden = 12;
      const width = data.items.size;
      const itemCount = fitBiases(data.ratings).itemCount;
      for (const u of [0, 5]) {
        // One forward pass by hand from the saved weights, reading ratings or residuals.
        const items = rowIndices(data.ratings, u);
        const ratings = rowValues(data.ratings, u);
        const h = Float64Array.from(be);
        items.forEach((c, k) => {
          const x = input === 'ratings' ? ratings[k] : ratings[k] - mean - bu[u] - bi[c];
          for (let j = 0; j < hidden; j++) h[j] += x * E[c * hidden + j];
        });
        for (let j = 0; j < hidden; j++) h[j] = 1 / (1 + Math.exp(-h[j]));
        const scores = model.scoreUsers(Uint32Array.of(u));
        for (let i = 0; i < width; i++) {
          if (itemCount[i] === 0) continue;
          let z = bv[i];
          for (let j = 0; j < hidden; j++) z += h[j] * V[j * width + i];
          expect(scores[i]).toBeCloseTo(z + mean + bu[u] + bi[i], 4);
        }
      }
      model.dispose();
    }
  });

  it('uses the documented defaults in both variants, as describe() and autoRecDefaults() report', () => {
    for (const model of [new UAutoRecModel(), new IAutoRecModel()]) {
      const described = Object.fromEntries(model.describe().map((d) => [d.name, d.value]));
      expect(described).toEqual({ ...autoRecDefaults() });
      expect(described).toMatchObject(DOCUMENTED_DEFAULTS);
    }
  });

  it('trains U-AutoRec on the centred sigmoid code by default and I-AutoRec on the plain one', async () => {
    const data = contractTrainSet();
    const pairs = entryCoordinates(data.ratings);
    const predictions = async (model: AutoRecModel) => {
      await model.fit(data);
      const out = model.predictIndices(pairs.rows, pairs.cols);
      model.dispose();
      return out;
    };
    const uAuto = await predictions(new UAutoRecModel(small));
    expect(await predictions(new UAutoRecModel({ ...small, codeCentring: 'centred' }))).toEqual(uAuto);
    expect(await predictions(new UAutoRecModel({ ...small, codeCentring: 'none' }))).not.toEqual(uAuto);
    const iAuto = await predictions(new IAutoRecModel(small));
    expect(await predictions(new IAutoRecModel({ ...small, codeCentring: 'none' }))).toEqual(iAuto);
    expect(await predictions(new IAutoRecModel({ ...small, codeCentring: 'centred' }))).not.toEqual(iAuto);
    // Only the sigmoid has a midpoint to remove: tanh trains the same either way.
    const tanh = { ...small, encoderActivation: 'tanh' } as const;
    expect(await predictions(new UAutoRecModel({ ...tanh, codeCentring: 'none' }))).toEqual(
      await predictions(new UAutoRecModel(tanh)),
    );
  });

  it('rejects bad options with the valid choices', () => {
    expect(() => new UAutoRecModel({ encoderActivation: 'softmax' } as never)).toThrow(/sigmoid, identity/);
    expect(() => new UAutoRecModel({ inputDropout: 1 })).toThrow(/inputDropout/);
    expect(() => new IAutoRecModel({ hiden: 3 } as never)).toThrow(/unknown option 'hiden'/);
  });
});

describe('AutoRec validation on held-out users (new listeners)', () => {
  // Held-out users have empty training rows: validating them as training users measures only
  // the fallback, the same every epoch; validating by fold-in follows the network.
  const { train } = plantedRatings({ users: 260, items: 120, seed: 21 });
  const split = heldOutUsersSplit(train.ratings, { testUsers: 30, validationUsers: 40 }, 5);
  const data = { ...train, ratings: split.train };
  const validation = split.validation!;
  const foldIn = split.foldIn!;

  for (const make of [
    () => new UAutoRecModel({ hiddenUnits: 16, epochs: 6, batchSize: 32, lambda: 1, seed: 2 }),
    () => new IAutoRecModel({ hiddenUnits: 16, epochs: 6, batchSize: 32, lambda: 1, seed: 2 }),
  ]) {
    it(`${make().name}: scores validation users by fold-in, and keeps the epoch that did best`, async () => {
      const plain = make();
      const fitPlain = await plain.fit(data, { validation });
      const flat = fitPlain.epochs.map((e) => e.validationRmse!);
      expect(Math.max(...flat) - Math.min(...flat)).toBeLessThan(1e-6);

      const model = make();
      const fit = await model.fit(data, { validation, validationFoldIn: foldIn });
      const curve = fit.epochs.map((e) => e.validationRmse!);
      expect(Math.max(...curve) - Math.min(...curve)).toBeGreaterThan(1e-3);
      // The restored best epoch's figure is what fold-in scoring of the final model gives.
      let sse = 0;
      let n = 0;
      for (let u = 0; u < validation.rows; u++) {
        if (validation.indptr[u] === validation.indptr[u + 1]) continue;
        const scores = model.scoreFoldIn(
          foldIn.indices.subarray(foldIn.indptr[u], foldIn.indptr[u + 1]),
          foldIn.values.subarray(foldIn.indptr[u], foldIn.indptr[u + 1]),
        );
        for (let q = validation.indptr[u]; q < validation.indptr[u + 1]; q++) {
          sse += (Math.min(5, Math.max(1, scores[validation.indices[q]])) - validation.values[q]) ** 2;
          n++;
        }
      }
      expect(n).toBeGreaterThan(50);
      expect(Math.sqrt(sse / n)).toBeCloseTo(Math.min(...curve), 5);
      expect(fit.epochs.find((e) => e.epoch === fit.bestEpoch)!.validationRmse).toBe(Math.min(...curve));
      plain.dispose();
      model.dispose();
    });
  }

  it('refuses validationFoldIn without validation, or of another shape', async () => {
    const model = new UAutoRecModel({ hiddenUnits: 4, epochs: 1 });
    await expect(model.fit(data, { validationFoldIn: foldIn })).rejects.toThrow(/needs validation/);
    await expect(
      model.fit(data, { validation, validationFoldIn: { ...foldIn, cols: foldIn.cols + 1 } }),
    ).rejects.toThrow(/validationFoldIn matrix shape/);
  });
});

describe('AutoRec persistence', () => {
  const data = contractTrainSet();

  const saved = async () => {
    const model = new IAutoRecModel({ ...small, residual: true });
    await model.fit(data);
    const store = memoryStore();
    await model.save(store);
    return { model, store, files: Object.fromEntries(store.files().map((f) => [f, store.peek(f)!])) };
  };

  it('writes a tfjs-style model.json listing the weights and a float32 weights.bin', async () => {
    const { model, files } = await saved();
    const json = JSON.parse(new TextDecoder().decode(files['model.json']));
    expect(json.format).toBe('autorec-weights');
    // The hyper-parameters are stored once, in manifest.json (issue 9): model.json holds weights.
    const manifest = JSON.parse(new TextDecoder().decode(files['manifest.json']));
    expect(manifest.hyperParameters.hiddenUnits).toBe(12);
    expect(json.hyperParameters).toBeUndefined();
    const weights = json.weightsManifest[0].weights as { name: string; shape: number[]; dtype: string }[];
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(weights.map((w) => w.name)).toEqual([
      'encoder/kernel',
      'encoder/bias',
      'decoder/kernel',
      'decoder/bias',
      'baseline/mean',
      'baseline/user',
      'baseline/item',
    ]);
    const width = data.users.size; // I-AutoRec: inputs are users
    expect(weights[0].shape).toEqual([width, 12]);
    expect(weights[2].shape).toEqual([12, width]);
    const total = weights.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1), 0);
    expect(files['weights.bin'].byteLength).toBe(total * 4);
    model.dispose();
  });

  it('reloads to identical predictions and rankings', async () => {
    const { model, store } = await saved();
    const loaded = await loadModel(store);
    const users = Int32Array.from({ length: 200 }, (_, k) => k % data.users.size);
    const items = Int32Array.from({ length: 200 }, (_, k) => (k * 7) % data.items.size);
    expect(loaded.predictIndices(users, items)).toEqual(model.predictIndices(users, items));
    expect(loaded.recommend('u2', 8)).toEqual(model.recommend('u2', 8));
    model.dispose();
    loaded.dispose();
  });

  it('reads a residual model saved before the `input` option as one that encodes residuals', async () => {
    const model = new IAutoRecModel({ ...small, residual: true, input: 'residuals' });
    await model.fit(data);
    const store = memoryStore();
    await model.save(store);
    const files = Object.fromEntries(store.files().map((f) => [f, store.peek(f)!]));
    const old = (name: string) => {
      const json = JSON.parse(new TextDecoder().decode(files[name]));
      // Files of that time held the hyper-parameters in both files: model.json's are ignored now.
      json.hyperParameters ??= {
        ...JSON.parse(new TextDecoder().decode(files['manifest.json'])).hyperParameters,
      };
      delete (json.hyperParameters as Record<string, unknown>).input;
      return JSON.stringify(json);
    };
    const loaded = await loadModel(
      memoryStore({ ...files, 'model.json': old('model.json'), 'manifest.json': old('manifest.json') }),
    );
    expect(loaded.hyperParameters.input).toBe('residuals');
    const users = Int32Array.from({ length: 100 }, (_, k) => k % data.users.size);
    const items = Int32Array.from({ length: 100 }, (_, k) => (k * 7) % data.items.size);
    expect(loaded.predictIndices(users, items)).toEqual(model.predictIndices(users, items));
    model.dispose();
    loaded.dispose();
  });

  it('names the file when weights are truncated or do not match', async () => {
    const { model, files } = await saved();
    const cut = memoryStore({ ...files, 'weights.bin': files['weights.bin'].slice(0, 100) });
    await expect(loadModel(cut)).rejects.toThrow(/weights\.bin: expected \d+ bytes .* found 100/);
    const json = JSON.parse(new TextDecoder().decode(files['model.json']));
    json.weightsManifest[0].weights[0].shape = [3, 12];
    json.weightsManifest[0].weights[1].shape = [12 + (data.users.size - 3) * 12];
    const wrong = memoryStore({ ...files, 'model.json': JSON.stringify(json) });
    await expect(loadModel(wrong)).rejects.toThrow(
      /model\.json: weight 'encoder\/kernel' has shape \[3,12\]/,
    );
    const missing = memoryStore({ ...files, 'model.json': '{"format":"something-else"}' });
    await expect(loadModel(missing)).rejects.toThrow(/model\.json: not an AutoRec weights manifest/);
    model.dispose();
  });
});
