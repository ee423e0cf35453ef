import { nnz } from '@autorec/data';
import { plantedRatings } from '@autorec/test-utils';
import { runRecommenderContract } from '@autorec/test-utils/contract';
import { describe, expect, it } from 'vitest';
import { OptionError } from '../errors.ts';
import { validationRmse } from '../evaluation/rating.ts';
import { memoryStore } from '../stores/memory.ts';
import { AutoRecModel, type AutoRecVariant, IAutoRecModel, UAutoRecModel } from './autorec.ts';
import { fitBiases } from './autorec-biases.ts';
import { readWeights } from './autorec-persist.ts';
import type { ItemEmbeddings, UserEmbeddings } from './embedding-model.ts';
import { loadModel } from './registry.ts';

const deep = {
  layers: '16,8',
  epochs: 6,
  batchSize: 16,
  lambda: 1,
  seed: 3,
  encoderActivation: 'selu',
} as const;
runRecommenderContract(
  'u-autorec (deep: 16,8, SELU, code dropout, re-feeding)',
  () => new UAutoRecModel({ ...deep, codeDropout: 0.5, refeed: 1 }),
);
runRecommenderContract(
  'i-autorec (deep: 16,8, SELU, input dropout)',
  () => new IAutoRecModel({ ...deep, inputDropout: 0.3 }),
);

describe('deep AutoRec (DeepRec options)', () => {
  const { train, test, noiseFloor } = plantedRatings({ seed: 5 });
  const b = fitBiases(train.ratings);
  let meanSse = 0;
  for (const v of test.values) meanSse += (v - b.mean) ** 2;
  const meanRmse = Math.sqrt(meanSse / nnz(test));

  for (const Model of [UAutoRecModel, IAutoRecModel])
    it(`${Model.name} with three hidden layers recovers planted low-rank ratings`, async () => {
      const model = new Model({
        layers: '32,16,32',
        encoderActivation: 'selu',
        epochs: 60,
        lambda: 10,
        learningRate: 0.002,
        input: 'residuals',
        seed: 1,
      });
      const fit = await model.fit(train);
      const rmse = validationRmse(model, test)!;
      expect(rmse).toBeLessThan(0.6 * meanRmse);
      expect(rmse).toBeLessThan(noiseFloor + 0.25);
      expect(fit.epochs.at(-1)!.loss).toBeLessThan(fit.epochs[0].loss);
      expect(fit.backend).toMatch(/\+tfjs$/);
      model.dispose();
    });

  it('re-feeding changes training, and makes the output closer to a fixed point of the network', async () => {
    const options = { layers: '24,12', epochs: 15, lambda: 1, learningRate: 0.003, seed: 2, batchSize: 32 };
    const plain = new UAutoRecModel(options);
    const refed = new UAutoRecModel({ ...options, refeed: 1 });
    await plain.fit(train);
    await refed.fit(train);
    const users = Uint32Array.from({ length: 40 }, (_, u) => u);
    const a = plain.scoreUsers(users);
    const c = refed.scoreUsers(users);
    let diff = 0;
    for (let q = 0; q < a.length; q++) diff = Math.max(diff, Math.abs(a[q] - c[q]));
    expect(diff).toBeGreaterThan(0.01);
    // f(f(x)) vs f(x): feed each user's full predicted vector back in as a new listener.
    const drift = (model: AutoRecModel): number => {
      const nItems = train.items.size;
      const all = Uint32Array.from({ length: nItems }, (_, i) => i);
      const scores = model.scoreUsers(users);
      let sse = 0;
      for (let j = 0; j < users.length; j++) {
        const fx = scores.subarray(j * nItems, (j + 1) * nItems);
        const ffx = model.scoreFoldIn(all, Float32Array.from(fx));
        for (let i = 0; i < nItems; i++) sse += (ffx[i] - fx[i]) ** 2;
      }
      return Math.sqrt(sse / (users.length * nItems));
    };
    expect(drift(refed)).toBeLessThan(drift(plain));
    plain.dispose();
    refed.dispose();
  });

  it('one entry in layers is the paper network with that many hidden units, bit for bit', async () => {
    const options = { epochs: 3, batchSize: 32, lambda: 1, seed: 4 };
    const a = new IAutoRecModel({ ...options, hiddenUnits: 20 });
    const c = new IAutoRecModel({ ...options, layers: '20' });
    expect(c.hyperParameters.hiddenUnits).toBe(20);
    await a.fit(train);
    await c.fit(train);
    expect(Array.from(c.scoreUsers(Uint32Array.of(0, 1, 2)))).toEqual(
      Array.from(a.scoreUsers(Uint32Array.of(0, 1, 2))),
    );
    const store = memoryStore();
    await c.save(store);
    expect((await readWeights(store, 'i-autorec')).weights.has('encoder/kernel')).toBe(true);
    a.dispose();
    c.dispose();
  });

  it('saves every layer and loads them back to the same scores', async () => {
    // λ 0: the loss is the squared error alone (no L2 term added to it).
    const model = new UAutoRecModel({ layers: '12,6,12', epochs: 3, seed: 5, codeDropout: 0.5, lambda: 0 });
    await model.fit(train);
    const store = memoryStore();
    await model.save(store);
    const { weights } = await readWeights(store, 'u-autorec');
    expect(weights.get('deep/kernel/0')!.shape).toEqual([train.items.size, 12]);
    expect(weights.get('deep/kernel/5')!.shape).toEqual([12, train.items.size]);
    const loaded = (await loadModel(store)) as AutoRecModel;
    expect(loaded.hyperParameters.layers).toBe('12,6,12');
    const users = Uint32Array.of(0, 5, 9);
    expect(Array.from(loaded.scoreUsers(users))).toEqual(Array.from(model.scoreUsers(users)));
    model.dispose();
    loaded.dispose();
  });

  it('refuses what the deep network does not do, naming the option', () => {
    expect(() => new UAutoRecModel({ layers: '8,4', objective: 'implicit' })).toThrow(OptionError);
    expect(() => new UAutoRecModel({ refeed: 1, optimizer: 'rprop' })).toThrow(/adam only/);
    expect(() => new UAutoRecModel({ layers: '8,4', hiddenUnits: 7 })).toThrow(/disagree/);
    expect(() => new UAutoRecModel({ layers: '8,0' })).toThrow(/positive integers/);
    expect(new UAutoRecModel({ layers: ' 512, 512,1024' }).hyperParameters.layers).toBe('512,512,1024');
  });
});

/**
 * A deep AutoRec whose embedding-layer hooks the test can read and replace: what the shared base
 * (EmbeddingModel) scores with. Were the deep model to keep its own scoring or similar items, a
 * replaced embedding would change nothing.
 */
class Probe extends AutoRecModel {
  /** Replaces the vectors the base reads: 'zero' every vector and bias, or item `to` := item `from`. */
  edit?: 'zero' | { from: number; to: number };

  constructor(variant: AutoRecVariant) {
    super(variant, { layers: '16,8', encoderActivation: 'selu', epochs: 2, lambda: 1, seed: 7 });
  }

  itemVectors(): ItemEmbeddings {
    return this.itemEmbeddings();
  }

  usersOf(users: Uint32Array): UserEmbeddings {
    return this.userEmbeddings(users);
  }

  setEdit(edit: Probe['edit']): void {
    this.edit = edit;
    this.embeddingsChanged();
  }

  protected override itemEmbeddings(): ItemEmbeddings {
    const e = super.itemEmbeddings();
    const edit = this.edit;
    if (!edit) return e;
    if (edit === 'zero') return { ...e, vectors: new Float32Array(e.vectors.length), bias: undefined };
    const vectors = e.vectors.slice();
    vectors.copyWithin(edit.to * e.stride, edit.from * e.stride, edit.from * e.stride + e.dim);
    return { ...e, vectors };
  }

  protected override userEmbeddings(users: Uint32Array): UserEmbeddings {
    const e = super.userEmbeddings(users);
    return this.edit === 'zero' ? { vectors: new Float32Array(e.vectors.length) } : e;
  }
}

describe('deep AutoRec on the shared embedding layer', () => {
  const { train } = plantedRatings({ seed: 5 });
  const b = fitBiases(train.ratings);
  const nItems = train.items.size;

  it("U-AutoRec's song vectors are the output layer's columns and its bias, its users the first layer's activations", async () => {
    const model = new Probe('user');
    await model.fit(train);
    const store = memoryStore();
    await model.save(store);
    const { weights } = await readWeights(store, 'u-autorec');
    // Kernels: encoder 0, 1, decoder 2, 3 — the last is l₁ × songs.
    const kernel = weights.get('deep/kernel/3')!;
    expect(kernel.shape).toEqual([16, nItems]);
    const items = model.itemVectors();
    expect(items.dim).toBe(16);
    for (const i of [0, 7, nItems - 1])
      for (let f = 0; f < 16; f++)
        expect(items.vectors[i * items.stride + f]).toBe(kernel.data[f * nItems + i]);
    expect(Array.from(items.bias!)).toEqual(Array.from(weights.get('deep/bias/3')!.data));
    expect(model.usersOf(Uint32Array.of(0, 1)).vectors.length).toBe(2 * 16);
    model.dispose();
  });

  it("I-AutoRec's users are the output layer's columns with its bias as their term", async () => {
    const model = new Probe('item');
    await model.fit(train);
    const store = memoryStore();
    await model.save(store);
    const { weights } = await readWeights(store, 'i-autorec');
    const nUsers = train.users.size;
    const kernel = weights.get('deep/kernel/3')!.data;
    const bias = weights.get('deep/bias/3')!.data;
    const users = Uint32Array.of(0, 4, nUsers - 1);
    const { vectors, offsets } = model.usersOf(users);
    users.forEach((u, j) => {
      for (let f = 0; f < 16; f++) expect(vectors[j * 16 + f]).toBe(kernel[f * nUsers + u]);
      expect(offsets![j]).toBe(bias[u]);
    });
    expect(model.itemVectors().vectors.length).toBe(nItems * 16);
    model.dispose();
  });

  for (const variant of ['user', 'item'] as const)
    it(`${variant === 'user' ? 'U' : 'I'}-AutoRec's similar songs and scores come from the base's item vectors`, async () => {
      const model = new Probe(variant);
      await model.fit(train);
      const { vectors, dim, stride } = model.itemVectors();
      const cosine = (i: number, j: number) => {
        let dot = 0;
        let ni = 0;
        let nj = 0;
        for (let f = 0; f < dim; f++) {
          dot += vectors[i * stride + f] * vectors[j * stride + f];
          ni += vectors[i * stride + f] ** 2;
          nj += vectors[j * stride + f] ** 2;
        }
        return dot / Math.sqrt(ni * nj);
      };
      const sims = model.itemSimilarities(3);
      for (const j of [0, 1, 10, 20]) expect(sims[j]).toBeCloseTo(cosine(3, j), 5);
      // Song 10's vector replaced by song 3's: the base's cosine says they are the same song.
      model.setEdit({ from: 3, to: 10 });
      expect(model.itemSimilarities(3)[10]).toBeCloseTo(1, 5);
      expect(sims[10]).toBeLessThan(0.99);
      // Every vector and bias zero: the pre-activation ⟨x_u, y_i⟩ + c_u + b_i is 0, so a warm
      // user's score of a warm song is the residual decoder's g(0) = 0 over the baseline.
      model.setEdit('zero');
      const scores = model.scoreUsers(Uint32Array.of(2));
      for (let i = 0; i < nItems; i++) expect(scores[i]).toBeCloseTo(b.mean + b.user[2] + b.item[i], 4);
      // A new listener folds in through the base's scoreVector: with zero song vectors every
      // song gets the same pre-activation (U: 0; I: the ridge's intercept), so score − b_i is flat.
      const foldIn = model.scoreFoldIn(Uint32Array.of(0, 5, 9), Float32Array.of(4, 2, 5));
      for (let i = 1; i < nItems; i++) expect(foldIn[i] - b.item[i]).toBeCloseTo(foldIn[0] - b.item[0], 4);
      model.setEdit(undefined);
      expect(model.itemSimilarities(3)).toEqual(sims);
      model.dispose();
    });
});
