import { Rng, type TrainSet } from '@autorec/data';
import { tasteGroups } from '@autorec/test-utils';
import { runRecommenderContract } from '@autorec/test-utils/contract';
import { describe, expect, it } from 'vitest';
import { OptionError } from '../errors.ts';
import { MultDaeModel } from './mult-dae.ts';
import { MultVaeModel } from './mult-vae.ts';
import { annealBeta, gaussianKl, multinomialNll, sparseBatch } from './mult-vae-network.ts';
import { createModel } from './registry.ts';

const small = { hidden: 16, latent: 8, epochs: 20, batchSize: 64 };
runRecommenderContract('mult-vae', () => new MultVaeModel({ ...small, annealSteps: 40 }));

/**
 * Two taste groups: listeners 0..n/2−1 play from items 0..9, the others from items 10..19
 * (each listener 5 random items of their group).
 */
function groups(users: number, seed: number): TrainSet {
  return tasteGroups({ users, groupItems: 10, picks: 5, seed });
}

describe('Mult-VAE maths', () => {
  it('gives the multinomial NLL gradient softmax(f)·Σx − x, as finite differences of the loss', () => {
    const rng = new Rng(3);
    const f = Float64Array.from({ length: 12 }, () => rng.normal() * 2);
    const x = Float64Array.from({ length: 12 }, () => (rng.next() < 0.4 ? 1 : 0));
    const { loss, grad } = multinomialNll(f, x);
    expect(loss).toBeGreaterThan(0);
    const h = 1e-6;
    for (let i = 0; i < f.length; i++) {
      const up = Float64Array.from(f);
      const down = Float64Array.from(f);
      up[i] += h;
      down[i] -= h;
      const numeric = (multinomialNll(up, x).loss - multinomialNll(down, x).loss) / (2 * h);
      expect(grad[i]).toBeCloseTo(numeric, 5);
    }
    // Shift invariance of the softmax: adding a constant to every logit changes nothing.
    expect(
      multinomialNll(
        f.map((v) => v + 100),
        x,
      ).loss,
    ).toBeCloseTo(loss, 8);
  });

  it('computes KL(N(μ, σ²) ‖ N(0, 1)) in closed form (the network adds β times its batch mean: mult-vae-net.test.ts)', () => {
    expect(gaussianKl([0, 0], [0, 0])).toBe(0);
    expect(gaussianKl([1], [0])).toBeCloseTo(0.5, 12);
    // σ² = e: ½(e − 1 − 1)
    expect(gaussianKl([0], [1])).toBeCloseTo(0.5 * (Math.E - 2), 12);
    // Monte Carlo check of KL = E_q[log q − log p] for μ = 0.7, σ = 0.5.
    const rng = new Rng(9);
    const mu = 0.7;
    const sigma = 0.5;
    let mc = 0;
    const n = 200_000;
    for (let s = 0; s < n; s++) {
      const z = mu + sigma * rng.normal();
      mc += -Math.log(sigma) - ((z - mu) / sigma) ** 2 / 2 + z ** 2 / 2;
    }
    expect(mc / n).toBeCloseTo(gaussianKl([mu], [2 * Math.log(sigma)]), 2);
  });

  it('anneals β as the paper’s code: min(cap, step / annealSteps)', () => {
    expect(annealBeta(0, 0.2, 100)).toBe(0);
    expect(annealBeta(10, 0.2, 100)).toBeCloseTo(0.1, 12);
    expect(annealBeta(50, 0.2, 100)).toBe(0.2);
    expect(annealBeta(500, 0.2, 100)).toBe(0.2);
    expect(annealBeta(3, 0.2, 0)).toBe(0.2);
  });

  it('normalises each input row to unit L2 norm and drops entries with inverted scaling', () => {
    const data = groups(40, 8);
    const plain = sparseBatch(data.ratings, [0, 1, 2]);
    const norms = [0, 0, 0];
    for (let p = 0; p < plain.value.length; p++) norms[plain.segment[p]] += plain.value[p] ** 2;
    for (const s of norms) expect(s).toBeCloseTo(1, 6);
    const users = Array.from({ length: 40 }, (_, u) => u);
    const dropped = sparseBatch(data.ratings, users, 0.5, new Rng(1));
    expect(dropped.value.length / 200).toBeGreaterThan(0.4);
    expect(dropped.value.length / 200).toBeLessThan(0.6);
    for (const v of dropped.value) expect(v).toBeCloseTo(2 / Math.sqrt(5), 6);
  });
});

describe('MultVaeModel / MultDaeModel', () => {
  for (const make of [
    () => new MultVaeModel({ ...small, epochs: 60, annealSteps: 50, learningRate: 0.01 }),
    () => new MultDaeModel({ ...small, epochs: 60, learningRate: 0.01 }),
    () => new MultVaeModel({ ...small, epochs: 60, annealSteps: 50, learningRate: 0.01, sampledSoftmax: 6 }),
  ]) {
    it(`${make().name}${
      make()
        .describe()
        .find((h) => h.name === 'sampledSoftmax')?.value
        ? ' (sampled softmax)'
        : ''
    }: learns the taste groups, and folds in a new listener by encoding their plays`, async () => {
      const data = groups(200, 4);
      const model = make();
      const fit = await model.fit(data);
      expect(fit.epochs).toHaveLength(60);
      expect(fit.epochs[59].loss).toBeLessThan(fit.epochs[0].loss);
      // Fold-in of a training listener's own plays is the same forward pass as their scores.
      const m = data.ratings;
      const u = 7;
      const items = m.indices.slice(m.indptr[u], m.indptr[u + 1]);
      const folded = model.scoreFoldIn(items, m.values.slice(m.indptr[u], m.indptr[u + 1]));
      const scored = model.scoreUsers(Uint32Array.of(u));
      for (let i = 0; i < 20; i++) expect(folded[i]).toBeCloseTo(scored[i], 4);
      // A new listener of group A (items 0..9) and one of group B get their own group's items.
      const a = model.recommendForPlays(
        ['i1', 'i2', 'i3'].map((item) => ({ item, count: 4 })),
        5,
      );
      const b = model.recommendForPlays(
        ['i11', 'i12', 'i13'].map((item) => ({ item, count: 4 })),
        5,
      );
      for (const r of a) expect(Number(r.item.slice(1))).toBeLessThan(10);
      for (const r of b) expect(Number(r.item.slice(1))).toBeGreaterThanOrEqual(10);
    });
  }

  it('is in the registry with the paper’s defaults and checks its options', () => {
    const vae = createModel('mult-vae');
    const values = Object.fromEntries(vae.describe().map((h) => [h.name, h.value]));
    expect(values).toMatchObject({
      hidden: 600,
      latent: 200,
      batchSize: 500,
      learningRate: 1e-3,
      dropout: 0.5,
      annealCap: 0.2,
      annealSteps: 200_000,
    });
    expect(vae.scoreKind).toBe('preference');
    expect(
      createModel('mult-dae')
        .describe()
        .map((h) => h.name),
    ).not.toContain('annealCap');
    expect(() => new MultVaeModel({ dropout: 1 })).toThrow(OptionError);
    expect(() => new MultDaeModel({ annealCap: 0.2 })).toThrow(OptionError);
  });

  it('trains on the WebAssembly kernels by default, as the typed-array network does, on any threads', async () => {
    const data = groups(120, 2);
    const options = { ...small, epochs: 4, batchSize: 32, annealSteps: 10, sampledSoftmax: 8 };
    const kernels = new MultVaeModel(options);
    const fit = await kernels.fit(data);
    expect(fit.backend).toMatch(/^(wasm-simd×1|js|wasm|cpu)$/);
    const network = new MultVaeModel({ ...options, kernels: 'js' });
    await network.fit(data);
    // Float32 kernels against float64 sums in the network: the same training, rounding apart.
    const a = kernels.scoreUsers(Uint32Array.of(0, 99));
    const b = network.scoreUsers(Uint32Array.of(0, 99));
    for (let j = 0; j < a.length; j++) expect(a[j]).toBeCloseTo(b[j], 2);
    if (!fit.backend.startsWith('wasm-simd')) return;
    const threads = new MultVaeModel({ ...options, kernels: 'wasm-simd', threads: 2 });
    expect((await threads.fit(data)).backend).toBe('wasm-simd×2');
    expect(threads.scoreUsers(Uint32Array.of(0, 99))).toEqual(a);
  });

  it('refuses the kernels for a hidden size they cannot step', async () => {
    const model = new MultDaeModel({ ...small, hidden: 12, kernels: 'wasm-simd' });
    await expect(model.fit(groups(20, 1))).rejects.toThrow(/multiple of 8, got 12/);
    // 'auto' trains it on the typed-array network instead.
    expect(
      (await new MultDaeModel({ ...small, hidden: 12, epochs: 1 }).fit(groups(20, 1))).backend,
    ).not.toMatch(/wasm-simd/);
  });

  it('stops at an abort between batches with the weights it has', async () => {
    const controller = new AbortController();
    const model = new MultVaeModel({ ...small, epochs: 50, batchSize: 10 });
    const fit = await model.fit(groups(100, 1), {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'batch' || p.phase === 'epoch') controller.abort();
      },
    });
    expect(fit.aborted).toBe(true);
    expect(fit.epochs.length).toBeLessThan(50);
    expect(model.recommend('u0', 3)).toHaveLength(3);
  });
});
