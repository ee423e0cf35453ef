import { csrFromTriplets, IdIndex, nnz, Rng, type TrainSet } from '@autorec/data';
import { plantedRatings } from '@autorec/test-utils';
import { runRecommenderContract } from '@autorec/test-utils/contract';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupCompute } from '../engine/compute.ts';
import { evaluateRatings } from '../evaluation/rating.ts';
import type { FitResult, TrainingProgress } from '../types.ts';
import { GlobalMeanModel } from './baselines.ts';
import { fastBackendActive } from './dense-product.ts';
import { SvdModel } from './svd.ts';

runRecommenderContract('svd', () => new SvdModel({ factors: 4, epochs: 15, seed: 3 }));
runRecommenderContract(
  'svd (unbiased)',
  () => new SvdModel({ factors: 3, epochs: 10, biased: false, seed: 5 }),
);

function tinyTrainSet(): TrainSet {
  // users × items:  u0: i0=5, i1=3 · u1: i0=4, i2=1 · u2: i1=2, i2=2   (item i3 never rated)
  const { duplicates: _, ...ratings } = csrFromTriplets(
    3,
    4,
    [0, 0, 1, 1, 2, 2],
    [0, 1, 0, 2, 1, 2],
    [5, 3, 4, 1, 2, 2],
  );
  return {
    ratings,
    users: new IdIndex(['u0', 'u1', 'u2']),
    items: new IdIndex(['i0', 'i1', 'i2', 'i3']),
    scale: { min: 1, max: 5 },
    transform: { name: 'log-bins', scale: { min: 1, max: 5 } },
  };
}

/** Surprise's `SVD.sgd`, transcribed line by line (float64, no tricks), with our RNG. */
function surpriseSgd(data: TrainSet, k: number, epochs: number, seed: number, lr = 0.005, reg = 0.02) {
  const m = data.ratings;
  const rng = new Rng(seed);
  const pu = Array.from({ length: m.rows }, () => Array.from({ length: k }, () => 0.1 * rng.normal()));
  const qi = Array.from({ length: m.cols }, () => Array.from({ length: k }, () => 0.1 * rng.normal()));
  const bu = new Array(m.rows).fill(0);
  const bi = new Array(m.cols).fill(0);
  let mu = 0;
  for (let p = 0; p < nnz(m); p++) mu += m.values[p];
  mu /= nnz(m);
  for (let e = 0; e < epochs; e++)
    for (let u = 0; u < m.rows; u++)
      for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) {
        const i = m.indices[p];
        let dot = 0;
        for (let f = 0; f < k; f++) dot += qi[i][f] * pu[u][f];
        const err = m.values[p] - (mu + bu[u] + bi[i] + dot);
        bu[u] += lr * (err - reg * bu[u]);
        bi[i] += lr * (err - reg * bi[i]);
        for (let f = 0; f < k; f++) {
          const puf = pu[u][f];
          const qif = qi[i][f];
          pu[u][f] += lr * (err * qif - reg * puf);
          qi[i][f] += lr * (err * puf - reg * qif);
        }
      }
  return { mu, bu, bi, pu, qi };
}

describe('SvdModel', () => {
  it('follows Surprise’s SGD updates exactly (up to float32 storage of the factors)', async () => {
    const { train } = plantedRatings({ users: 50, items: 40, seed: 2 });
    const model = new SvdModel({ factors: 6, epochs: 4, seed: 9 });
    await model.fit(train);
    const ref = surpriseSgd(train, 6, 4, 9);
    const got = model.parameters;
    expect(got.mu).toBeCloseTo(ref.mu, 12);
    for (let u = 0; u < 50; u++) {
      expect(got.bu[u]).toBeCloseTo(ref.bu[u], 5);
      for (let f = 0; f < 6; f++) expect(got.pu[u * 6 + f]).toBeCloseTo(ref.pu[u][f], 5);
    }
    for (let i = 0; i < 40; i++) {
      expect(got.bi[i]).toBeCloseTo(ref.bi[i], 5);
      for (let f = 0; f < 6; f++) expect(got.qi[i * 6 + f]).toBeCloseTo(ref.qi[i][f], 5);
    }
  });

  it('applies Surprise’s rules for unknown ids: μ + b_i, μ + b_u, μ', async () => {
    const data = tinyTrainSet();
    const model = new SvdModel({ factors: 2, epochs: 30, seed: 1 });
    await model.fit(data);
    const { mu, bu, bi } = model.parameters;
    expect(mu).toBeCloseTo(17 / 6, 12);
    const p = model.predictIndices(Int32Array.of(-1, 1, -1, 0), Int32Array.of(2, -1, -1, 3));
    expect(p[0]).toBeCloseTo(mu + bi[2], 5);
    expect(p[1]).toBeCloseTo(mu + bu[1], 5);
    expect(p[2]).toBeCloseTo(mu, 5);
    // Item i3 has no training rating: treated as unknown, whatever its initial factors were.
    expect(p[3]).toBeCloseTo(mu + bu[0], 5);
    expect(bi[3]).toBe(0);
  });

  it('clips predictions to the rating scale', async () => {
    const data = tinyTrainSet();
    const model = new SvdModel({ factors: 2, epochs: 200, learningRate: 0.05, regularization: 0, seed: 1 });
    await model.fit(data);
    const all = model.scoreUsers(Uint32Array.of(0, 1, 2));
    const preds = model.predictIndices(Int32Array.of(0, 0, 0, 0), Int32Array.of(0, 1, 2, 3));
    for (const v of preds) expect(v >= 1 && v <= 5).toBe(true);
    // Ranking scores are unclipped; the clipped prediction of u0's 5-star item sits at the top of the scale.
    expect(preds[0]).toBeCloseTo(Math.min(5, all[0]), 5);
  });

  it('recovers planted low-rank structure close to the noise floor', async () => {
    const { train, test, noiseFloor } = plantedRatings({
      users: 400,
      items: 250,
      rank: 3,
      density: 0.3,
      seed: 4,
    });
    const svd = new SvdModel({ factors: 10, epochs: 60, learningRate: 0.01, seed: 1 });
    await svd.fit(train);
    const mean = new GlobalMeanModel();
    await mean.fit(train);
    const svdRmse = evaluateRatings(svd, test).all.rmse!;
    const meanRmse = evaluateRatings(mean, test).all.rmse!;
    expect(svdRmse).toBeLessThan(noiseFloor * 1.15);
    expect(svdRmse).toBeLessThan(meanRmse * 0.5);
  });

  it('reports epochs with loss and validation RMSE, and honours an abort mid-training', async () => {
    const { train, test } = plantedRatings({ users: 100, items: 80, seed: 5 });
    const events: TrainingProgress[] = [];
    let fit: FitResult | undefined;
    // `backend: 'js'` says what ran: the typed-array loops, not one tfjs kernel (profiled).
    const profile = await tf.profile(async () => {
      fit = await new SvdModel({ factors: 5, epochs: 6, seed: 1 }).fit(train, {
        validation: test,
        onProgress: (e) => events.push(e),
      });
      return [];
    });
    if (!fit) throw new Error('fit did not finish');
    expect(profile.kernels.map((k) => k.name)).toEqual([]);
    expect(fit.backend).toBe('js');
    expect(fit.epochs.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(fit.bestEpoch).toBe(6);
    expect(fit.aborted).toBe(false);
    for (const e of fit.epochs) {
      expect(e.loss).toBeGreaterThan(0);
      expect(e.validationRmse).toBeGreaterThan(0);
    }
    expect(fit.epochs[5].loss).toBeLessThan(fit.epochs[0].loss);
    expect(events.filter((e) => e.phase === 'epoch')).toHaveLength(6);
    expect(events.at(-1)?.phase).toBe('done');

    const controller = new AbortController();
    const stopped = await new SvdModel({ factors: 5, epochs: 50, seed: 1 }).fit(train, {
      signal: controller.signal,
      onProgress: (e) => {
        if (e.phase === 'epoch' && e.epoch === 2) controller.abort();
      },
    });
    expect(stopped.aborted).toBe(true);
    expect(stopped.epochs).toHaveLength(2);
    expect(stopped.bestEpoch).toBe(2);
  });

  // The test is the app here: it sets up the compute context once, as the CLI and API do.
  beforeAll(async () => {
    await setupCompute();
  });

  it('scores one user and a batch as one tfjs matMul, equal to μ + b_u + b_i + ⟨p_u, q_i⟩, and follows refits and dispose', async () => {
    // 700 items × 100 factors passes the dense threshold (32K multiply-adds) for one user already.
    const { train } = plantedRatings({ users: 64, items: 700, density: 0.05, seed: 12 });
    const svd = new SvdModel({ factors: 100, epochs: 2, seed: 1 });
    // The reference, written from the parameters in float64 (not through the model's loops).
    const byFormula = (users: Uint32Array) => {
      const { mu, bu, bi, pu, qi } = svd.parameters;
      const out = new Float64Array(users.length * 700);
      for (let b = 0; b < users.length; b++)
        for (let i = 0; i < 700; i++) {
          let dot = 0;
          for (let f = 0; f < 100; f++) dot += pu[users[b] * 100 + f] * qi[i * 100 + f];
          out[b * 700 + i] = mu + bu[users[b]] + bi[i] + dot;
        }
      return out;
    };
    const all = Uint32Array.from({ length: 64 }, (_, u) => u);
    const expectSame = (a: ArrayLike<number>, b: ArrayLike<number>) => {
      let worst = 0;
      for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
      expect(worst).toBeLessThan(1e-4);
    };
    await svd.fit(train);
    // Node 20 always has WebAssembly, so the context set up above runs a fast backend.
    expect(fastBackendActive()).toBe(true);
    const first = svd.scoreUsers(all);
    expectSame(first, byFormula(all));
    expectSame(svd.scoreUsers(Uint32Array.of(5)), byFormula(Uint32Array.of(5)));
    svd.dispose();
    expectSame(svd.scoreUsers(all), first);
    // Refitting on other ratings changes the factors: the dense operand must not be stale.
    await svd.fit(plantedRatings({ users: 64, items: 700, density: 0.05, seed: 13 }).train);
    const refit = svd.scoreUsers(all);
    expectSame(refit, byFormula(all));
    expect(refit[0]).not.toBeCloseTo(first[0], 3);
    svd.dispose();
  });

  it('gives similar items by the dense product the cosines of the item factors, with the loops’ zero rules', async () => {
    const { train } = plantedRatings({ users: 64, items: 700, density: 0.05, seed: 12 });
    const svd = new SvdModel({ factors: 100, epochs: 2, seed: 1 });
    await svd.fit(train);
    expect(fastBackendActive()).toBe(true);
    const { qi } = svd.parameters;
    const cos = (i: number, j: number) => {
      let d = 0;
      let a = 0;
      let b = 0;
      for (let f = 0; f < 100; f++) {
        d += qi[i * 100 + f] * qi[j * 100 + f];
        a += qi[i * 100 + f] ** 2;
        b += qi[j * 100 + f] ** 2;
      }
      return a * b === 0 ? 0 : d / Math.sqrt(a * b);
    };
    const sims = svd.itemSimilarities(11);
    let worst = 0;
    for (let j = 0; j < 700; j++) worst = Math.max(worst, Math.abs(sims[j] - cos(11, j)));
    expect(Number.isNaN(worst)).toBe(false);
    expect(worst).toBeLessThan(1e-5);
    expect(sims[11]).toBeCloseTo(1, 5);
    svd.dispose();
  });

  it('folds a training user back in close to their trained scores', async () => {
    const { train } = plantedRatings({ users: 300, items: 150, rank: 3, density: 0.3, seed: 6 });
    const svd = new SvdModel({ factors: 8, epochs: 40, learningRate: 0.01, seed: 2 });
    await svd.fit(train);
    const m = train.ratings;
    const u = 17;
    const items = m.indices.subarray(m.indptr[u], m.indptr[u + 1]);
    const ratings = m.values.subarray(m.indptr[u], m.indptr[u + 1]);
    const folded = svd.scoreFoldIn(items, ratings);
    const trained = svd.scoreUsers(Uint32Array.of(u));
    expect(pearson(folded, trained)).toBeGreaterThan(0.9);
    // No plays at all: the fold-in is the prior, p = 0 and b_u = 0.
    const prior = svd.foldInUser(new Uint32Array(0), new Float32Array(0));
    expect(prior.bias).toBe(0);
    expect(Array.from(prior.factors).every((x) => x === 0)).toBe(true);
  });

  it('measures item similarity as the cosine of item factors', async () => {
    const { train } = plantedRatings({ users: 60, items: 30, seed: 8 });
    const svd = new SvdModel({ factors: 4, epochs: 5, seed: 2 });
    await svd.fit(train);
    const { qi } = svd.parameters;
    const q = (i: number) => Array.from(qi.subarray(i * 4, i * 4 + 4));
    const dot = (a: number[], b: number[]) => a.reduce((s, x, j) => s + x * b[j], 0);
    const sims = svd.itemSimilarities(3);
    expect(sims[3]).toBeCloseTo(1, 5);
    expect(sims[7]).toBeCloseTo(dot(q(3), q(7)) / Math.sqrt(dot(q(3), q(3)) * dot(q(7), q(7))), 5);
  });

  it('rejects unknown or invalid hyper-parameters with a clear message', () => {
    expect(() => new SvdModel({ factor: 10 } as never)).toThrow(/unknown option 'factor'.*factors/);
    expect(() => new SvdModel({ factors: 0 })).toThrow(/factors.*≥ 1/);
    expect(() => new SvdModel({ learningRate: 0 })).toThrow(/learningRate.*> 0/);
    expect(() => new SvdModel({ epochs: 2.5 })).toThrow(/integer/);
    expect(new SvdModel().hyperParameters).toEqual({
      factors: 100,
      epochs: 20,
      learningRate: 0.005,
      regularization: 0.02,
      initMean: 0,
      initStd: 0.1,
      biased: true,
      seed: 42,
    });
  });
});

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let j = 0; j < n; j++) {
    ma += a[j] / n;
    mb += b[j] / n;
  }
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let j = 0; j < n; j++) {
    sab += (a[j] - ma) * (b[j] - mb);
    saa += (a[j] - ma) ** 2;
    sbb += (b[j] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}
