import { join } from 'node:path';
import { prepareDataset, Rng, type TrainSet } from '@autorec/data';
import { readInteractionsFile } from '@autorec/data/node';
import { trainSetFromTriplets } from '@autorec/test-utils';
import { runRecommenderContract } from '@autorec/test-utils/contract';
import { describeRealData } from '@autorec/test-utils/real-data';
import { describe, expect, it } from 'vitest';
import { evaluateRatings } from '../evaluation/rating.ts';
import { memoryStore } from '../stores/memory.ts';
import { loadModel } from './registry.ts';
import { SvdModel } from './svd.ts';
import { SvdppModel } from './svdpp.ts';

runRecommenderContract('svdpp', () => new SvdppModel({ factors: 4, epochs: 5 }));

function randomRatings(users: number, items: number, density: number, seed: number): TrainSet {
  const rng = new Rng(seed);
  const rows: number[] = [];
  const cols: number[] = [];
  const values: number[] = [];
  for (let u = 0; u < users; u++)
    for (let i = 0; i < items; i++)
      if (rng.next() < density) {
        rows.push(u);
        cols.push(i);
        values.push(1 + rng.int(5));
      }
  return trainSetFromTriplets(users, items, rows, cols, values);
}

/**
 * Surprise's `SVDpp.sgd`, transcribed line by line (float64; every y_j of N(u) updated at each
 * rating, the implicit sum recomputed each time), with our RNG's draws in its order.
 */
function surpriseSvdpp(data: TrainSet, k: number, epochs: number, seed: number, lr = 0.007, reg = 0.02) {
  const m = data.ratings;
  const rng = new Rng(seed);
  const draw = (n: number) =>
    Array.from({ length: n }, () => Array.from({ length: k }, () => 0.1 * rng.normal()));
  const pu = draw(m.rows);
  const qi = draw(m.cols);
  const yj = draw(m.cols);
  const bu = new Array(m.rows).fill(0);
  const bi = new Array(m.cols).fill(0);
  let sum = 0;
  for (const v of m.values) sum += v;
  const mu = sum / m.values.length;
  for (let e = 0; e < epochs; e++)
    for (let u = 0; u < m.rows; u++) {
      const Iu = Array.from(m.indices.subarray(m.indptr[u], m.indptr[u + 1]));
      const sqrtIu = Math.sqrt(Iu.length);
      for (let p = m.indptr[u]; p < m.indptr[u + 1]; p++) {
        const i = m.indices[p];
        const r = m.values[p];
        const impl = new Array(k).fill(0);
        for (const j of Iu) for (let f = 0; f < k; f++) impl[f] += yj[j][f] / sqrtIu;
        let dot = 0;
        for (let f = 0; f < k; f++) dot += qi[i][f] * (pu[u][f] + impl[f]);
        const err = r - (mu + bu[u] + bi[i] + dot);
        bu[u] += lr * (err - reg * bu[u]);
        bi[i] += lr * (err - reg * bi[i]);
        for (let f = 0; f < k; f++) {
          const puf = pu[u][f];
          const qif = qi[i][f];
          pu[u][f] += lr * (err * qif - reg * puf);
          qi[i][f] += lr * (err * (puf + impl[f]) - reg * qif);
          for (const j of Iu) yj[j][f] += lr * ((err * qif) / sqrtIu - reg * yj[j][f]);
        }
      }
    }
  return { mu, bu, bi, pu, qi, yj };
}

describe('svdpp', () => {
  it('equals a line-by-line transcription of Surprise’s SVDpp.sgd (composed y updates, same result)', async () => {
    const data = randomRatings(25, 30, 0.3, 5);
    const model = new SvdppModel({ factors: 3, epochs: 4, seed: 11 });
    await model.fit(data);
    const ref = surpriseSvdpp(data, 3, 4, 11);
    const users = Int32Array.from({ length: 25 * 30 }, (_, j) => Math.floor(j / 30));
    const items = Int32Array.from({ length: 25 * 30 }, (_, j) => j % 30);
    const ours = model.predictIndices(users, items);
    for (let j = 0; j < users.length; j++) {
      const u = users[j];
      const i = items[j];
      const n = data.ratings.indptr[u + 1] - data.ratings.indptr[u];
      const Iu = data.ratings.indices.subarray(data.ratings.indptr[u], data.ratings.indptr[u + 1]);
      let est = ref.mu + ref.bu[u] + ref.bi[i];
      for (let f = 0; f < 3; f++) {
        let impl = 0;
        for (const q of Iu) impl += ref.yj[q][f] / Math.sqrt(n);
        est += ref.qi[i][f] * (ref.pu[u][f] + impl);
      }
      expect(ours[j]).toBeCloseTo(Math.min(5, Math.max(1, est)), 5);
    }
  });

  it('saves and loads the same predictions and scores; a new listener is folded in without retraining', async () => {
    const data = randomRatings(30, 20, 0.4, 2);
    const model = new SvdppModel({ factors: 4, epochs: 10 });
    await model.fit(data);
    const store = memoryStore();
    await model.save(store);
    const back = await loadModel(store);
    const users = Int32Array.of(0, 3, 29, -1);
    const items = Int32Array.of(1, 2, 19, 4);
    expect(back.predictIndices(users, items)).toEqual(model.predictIndices(users, items));
    expect(back.scoreUsers(Uint32Array.of(0, 7))).toEqual(model.scoreUsers(Uint32Array.of(0, 7)));
    // A listener rating like user 0 is scored close to user 0.
    const row = (u: number) => ({
      items: data.ratings.indices.subarray(data.ratings.indptr[u], data.ratings.indptr[u + 1]),
      values: data.ratings.values.subarray(data.ratings.indptr[u], data.ratings.indptr[u + 1]),
    });
    const { items: playedItems, values } = row(0);
    const plays = Array.from(playedItems, (i, j) => ({ item: `i${i}`, count: values[j] }));
    const folded = model.recommendForPlays(plays, 20, { excludeSeen: false });
    expect(folded.length).toBe(20);
    expect(model.recommendForPlays(plays, 5)).toEqual(model.recommendForPlays(plays, 5));
  });
});

describeRealData('ml-100k', 'SVD++ on MovieLens-100K (real data)', (dir) => {
  it('beats SVD on a random 90/10 split with Surprise’s defaults (RMSE ≈ 0.92)', async () => {
    const dataset = await readInteractionsFile(join(dir, 'u.data'), { format: 'movielens' });
    const prepared = prepareDataset(dataset, {
      split: { method: 'random', test: 0.1, validation: 0 },
      seed: 7,
    });
    const svdpp = new SvdppModel();
    await svdpp.fit(prepared.trainSet);
    const svd = new SvdModel();
    await svd.fit(prepared.trainSet);
    const a = evaluateRatings(svdpp, prepared.ratings.test).all.rmse!;
    const b = evaluateRatings(svd, prepared.ratings.test).all.rmse!;
    expect(a).toBeLessThan(0.93);
    expect(a).toBeLessThan(b - 0.005);
  });
});
