import {
  type CsrMatrix,
  csrFromTriplets,
  IdIndex,
  kFoldSplits,
  nnz,
  prepareDataset,
  syntheticDataset,
  type TrainSet,
} from '@autorec/data';
import { plantedRatings } from '@autorec/test-utils';
import { describe, expect, it } from 'vitest';
import { BaselineOnlyModel, GlobalMeanModel, PopularityModel } from '../models/baselines.ts';
import { SvdModel } from '../models/svd.ts';
import { type ModelManifest, Recommender } from '../recommender.ts';
import type { FitResult, HyperParameterInfo, ModelStore } from '../types.ts';
import { compareModels } from './compare.ts';
import { crossValidate, meanSd } from './cross-validation.ts';
import { evaluateFoldInRatings, evaluateHeldOutUsers } from './held-out-users.ts';
import { evaluateHoldout, evaluateSplit, heldOutUsersOf, summarizeEvaluation } from './holdout.ts';
import { evaluateRanking } from './ranking.ts';
import { evaluateRatings } from './rating.ts';
import { comparePerUser } from './significance.ts';

function matrix(rows: number, cols: number, entries: [number, number, number][]): CsrMatrix {
  const { duplicates: _, ...m } = csrFromTriplets(
    rows,
    cols,
    entries.map((e) => e[0]),
    entries.map((e) => e[1]),
    entries.map((e) => e[2]),
  );
  return m;
}

function trainSet(ratings: CsrMatrix): TrainSet {
  return {
    ratings,
    users: new IdIndex(Array.from({ length: ratings.rows }, (_, u) => `u${u}`)),
    items: new IdIndex(Array.from({ length: ratings.cols }, (_, i) => `i${i}`)),
    scale: { min: 1, max: 5 },
    transform: { name: 'log-bins', scale: { min: 1, max: 5 } },
  };
}

/** Scores item i as i (so the ranking is "highest index first") and predicts 3 + user index. */
class IndexModel extends Recommender {
  readonly name = 'global-mean' as const;
  override describe(): HyperParameterInfo[] {
    return [];
  }
  protected async fitIndexed(): Promise<FitResult> {
    return { epochs: [], bestEpoch: 0, seconds: 0, aborted: false, backend: 'js' };
  }
  override predictIndices(users: Int32Array): Float32Array {
    return Float32Array.from(users, (u) => this.clip(u < 0 ? 3 : 3 + u));
  }
  scoreUsers(users: Uint32Array): Float32Array {
    const n = this.items.size;
    const out = new Float32Array(users.length * n);
    for (let b = 0; b < users.length; b++) for (let i = 0; i < n; i++) out[b * n + i] = i;
    return out;
  }
  scoreFoldIn(_items?: Uint32Array, _ratings?: Float32Array): Float32Array {
    return Float32Array.from({ length: this.items.size }, (_, i) => i);
  }
  itemSimilarities(): Float32Array {
    return new Float32Array(this.items.size);
  }
  protected async saveState(_s: ModelStore): Promise<void> {}
  protected async loadState(_s: ModelStore, _m: ModelManifest): Promise<void> {}
}

// 4 users × 6 items. u3 has no training ratings (cold user); i5 has none (cold item).
const TRAIN = matrix(4, 6, [
  [0, 0, 4],
  [0, 4, 2],
  [1, 1, 3],
  [1, 2, 5],
  [2, 3, 1],
]);
const TEST = matrix(4, 6, [
  [0, 3, 5], // warm
  [0, 5, 4], // cold item
  [1, 4, 2], // warm
  [3, 0, 3], // cold user
]);

describe('evaluateRatings', () => {
  it('splits warm and cold and matches hand-computed errors', async () => {
    const model = new IndexModel();
    await model.fit(trainSet(TRAIN));
    // predictions: u0 → 3, u1 → 4, u3 → 5 (clipped 6 → 5)
    const r = evaluateRatings(model, TEST);
    expect(r.all.count).toBe(4);
    // errors: 3-5=-2, 3-4=-1, 4-2=2, 5-3=2 → squares 4, 1, 4, 4
    expect(r.all.rmse).toBeCloseTo(Math.sqrt(13 / 4), 12);
    expect(r.all.mae).toBeCloseTo(7 / 4, 12);
    expect(r.warm).toEqual({ count: 2, rmse: Math.sqrt(8 / 2), mae: 2 });
    expect(r.cold.count).toBe(2);
    expect(r.cold.rmse).toBeCloseTo(Math.sqrt(5 / 2), 12);
    expect(r.coldUserRatings).toBe(1);
    expect(r.coldItemRatings).toBe(1);
    expect(Array.from(r.perUser.users)).toEqual([0, 1, 3]);
    expect(Array.from(r.perUser.mse)).toEqual([2.5, 4, 4]);
  });

  it('refuses an empty test set or one of another shape', async () => {
    const model = new IndexModel();
    await model.fit(trainSet(TRAIN));
    expect(() => evaluateRatings(model, matrix(4, 6, []))).toThrow(/no ratings/);
    expect(() => evaluateRatings(model, matrix(5, 6, [[0, 0, 1]]))).toThrow(/5×6.*4×6/);
  });
});

describe('evaluateRanking', () => {
  it('leaves out training items and cold items, and matches hand-computed metrics', async () => {
    const model = new IndexModel();
    await model.fit(trainSet(TRAIN));
    // Ranking by index, highest first, minus training items and the cold item i5:
    //   u0 (train 0, 4): 3, 2, 1 — relevant {3, 5}: hit at rank 1 (5, cold, stays relevant)
    //   u1 (train 1, 2): 4, 3, 0 — relevant {4}: hit at rank 1
    //   u3 (no train):   4, 3, 2 — relevant {0}: miss
    const r = await evaluateRanking(model, TEST, { k: 2 });
    const at2 = r.atK[0];
    expect(at2.precision).toBeCloseTo((0.5 + 0.5 + 0) / 3, 12);
    expect(at2.recall).toBeCloseTo((0.5 + 1 + 0) / 3, 12);
    expect(at2.hitRate).toBeCloseTo(2 / 3, 12);
    expect(at2.ndcg).toBeCloseTo((1 / (1 + 1 / Math.log2(3)) + 1 + 0) / 3, 12);
    expect(at2.map).toBeCloseTo((0.5 + 1 + 0) / 3, 12);
    expect(at2.coverage).toBeCloseTo(3 / 6, 12); // {3, 2, 4}
    // Items 0–4 have one training listener each (percentile 3.5/6), cold i5 none (0.5/6).
    expect(at2.popularity).toBeCloseTo(7 / 12, 12);
  });

  it('ranks cold items too when asked, and matches hand-computed metrics', async () => {
    const model = new IndexModel();
    await model.fit(trainSet(TRAIN));
    // Ranking by index, highest first, minus training items:
    //   u0 (train 0, 4): 5, 3, 2, 1 — relevant {3, 5}: hits at ranks 1 and 2
    //   u1 (train 1, 2): 5, 4, 3, 0 — relevant {4}: hit at rank 2
    //   u3 (no train):   5, 4, 3, 2 — relevant {0}: miss
    const r = await evaluateRanking(model, TEST, { k: [2, 1], batchSize: 2, includeColdItems: true });
    expect(r.users).toBe(3);
    const at2 = r.atK.find((a) => a.k === 2)!;
    expect(at2.precision).toBeCloseTo((1 + 0.5 + 0) / 3, 12);
    expect(at2.recall).toBeCloseTo((1 + 1 + 0) / 3, 12);
    expect(at2.hitRate).toBeCloseTo(2 / 3, 12);
    expect(at2.ndcg).toBeCloseTo((1 + 1 / Math.log2(3) + 0) / 3, 12);
    expect(at2.map).toBeCloseTo((1 + 0.5 + 0) / 3, 12);
    expect(at2.coverage).toBeCloseTo(3 / 6, 12); // {5, 3, 4}
    expect(at2.truncatedRecall).toBeCloseTo((1 + 1 + 0) / 3, 12);
    // Slots 5, 3 | 5, 4 | 5, 4: three of the least popular item (1/12), three at 7/12.
    expect(at2.popularity).toBeCloseTo((3 / 12 + 3 * (7 / 12)) / 6, 12);
    const at1 = r.atK.find((a) => a.k === 1)!;
    expect(at1.precision).toBeCloseTo(1 / 3, 12);
    expect(r.atK.map((a) => a.k)).toEqual([1, 2]);
    // Per-user NDCG is at the first K asked for (2).
    expect(Array.from(r.perUser.ndcg)).toEqual([1, 1 / Math.log2(3), 0]);
  });

  it('gives the same result whatever the batch size, and samples users reproducibly', async () => {
    const { train, test } = plantedRatings({ users: 120, items: 60, seed: 1 });
    const svd = new SvdModel({ factors: 4, epochs: 5, seed: 1 });
    await svd.fit(train);
    const a = await evaluateRanking(svd, test, { k: [5, 10], batchSize: 1 });
    const b = await evaluateRanking(svd, test, { k: [5, 10], batchSize: 256 });
    expect(b).toEqual(a);
    const s1 = await evaluateRanking(svd, test, { maxUsers: 30, seed: 3 });
    const s2 = await evaluateRanking(svd, test, { maxUsers: 30, seed: 3 });
    expect(s1.users).toBe(30);
    expect(s2).toEqual(s1);
  });

  it('aborts between batches', async () => {
    const { train, test } = plantedRatings({ users: 60, items: 30, seed: 1 });
    const model = new GlobalMeanModel();
    await model.fit(train);
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(evaluateRanking(model, test, { signal: controller.signal })).rejects.toThrow('stop');
  });
});

describe('evaluateHeldOutUsers', () => {
  it('ranks from fold-in plays, excluding them', async () => {
    const model = new IndexModel();
    await model.fit(trainSet(TRAIN));
    const foldIn = matrix(4, 6, [[3, 5, 4]]);
    const test = matrix(4, 6, [
      [3, 4, 5],
      [3, 1, 2],
    ]);
    // u3: ranking 4, 3, 2, 1, 0 (5 is a fold-in play) → relevant {4, 1}
    const r = await evaluateHeldOutUsers(model, { foldIn, test, testUsers: Uint32Array.of(3) }, { k: 2 });
    expect(r.users).toBe(1);
    expect(r.atK[0].precision).toBeCloseTo(0.5, 12);
    expect(r.atK[0].recall).toBeCloseTo(0.5, 12);
    expect(r.atK[0].ndcg).toBeCloseTo(1 / (1 + 1 / Math.log2(3)), 12);
  });

  it('folds users in 256 at a time through scoreFoldInRows, each as scoreFoldIn alone would', async () => {
    // Scores that depend on the fold-in plays: item i scores (i · (1 + Σ plays)) mod 13.
    class PlaysModel extends IndexModel {
      readonly calls: number[][] = [];
      override scoreFoldIn(items: Uint32Array): Float32Array {
        const sum = items.reduce((a, b) => a + b, 0);
        return Float32Array.from({ length: this.items.size }, (_, i) => (i * (1 + sum)) % 13);
      }
      override scoreFoldInRows(plays: CsrMatrix, rows: ArrayLike<number>): Float32Array {
        this.calls.push(Array.from(rows));
        return super.scoreFoldInRows(plays, rows);
      }
    }
    const users = 600;
    const fold: [number, number, number][] = [];
    const test: [number, number, number][] = [];
    for (let u = 0; u < users; u++) {
      fold.push([u, u % 12, 3], [u, (u * 5 + 1) % 12, 2]);
      test.push([u, (u * 7 + 3) % 12, 4]);
    }
    const train = matrix(
      users,
      12,
      Array.from({ length: 12 }, (_, i) => [i, i, 3] as [number, number, number]),
    );
    const model = new PlaysModel();
    await model.fit(trainSet(train));
    const split = { foldIn: matrix(users, 12, fold), test: matrix(users, 12, test) };
    const progress: number[] = [];
    const r = await evaluateHeldOutUsers(model, split, { k: 3, onProgress: (done) => progress.push(done) });
    expect(model.calls.map((c) => c.length)).toEqual([256, 256, 88]);
    expect(model.calls.flat()).toEqual(Array.from(r.perUser.users));
    expect(progress).toEqual([256, 512, 600]);
    // Users at and around the batch boundaries, and others: the same NDCG as evaluated alone.
    for (const u of [0, 1, 255, 256, 257, 511, 512, 599, 100, 400]) {
      const alone = await evaluateHeldOutUsers(model, { ...split, testUsers: [u] }, { k: 3 });
      const j = Array.from(r.perUser.users).indexOf(u);
      expect(r.perUser.ndcg[j]).toBe(alone.perUser.ndcg[0]);
    }
  });
});

describe('evaluateFoldInRatings', () => {
  it('predicts each held-out user from their fold-in plays, warm and cold apart', async () => {
    const model = new IndexModel(); // fold-in prediction of item i: clip(i) on 1..5
    await model.fit(trainSet(TRAIN));
    const foldIn = matrix(4, 6, [
      [3, 5, 4],
      [2, 0, 3],
    ]);
    const test = matrix(4, 6, [
      [1, 0, 4], // u1 has no fold-in plays: predicted 1, error −3 (cold user)
      [2, 5, 1], // i5 has no training ratings: predicted 5, error 4 (cold item)
      [3, 1, 2], // predicted 1, error −1
      [3, 4, 5], // predicted 4, error −1
      [0, 2, 3], // u0 is not a test user
    ]);
    const r = evaluateFoldInRatings(model, { foldIn, test, testUsers: Uint32Array.of(1, 2, 3) });
    expect(r.all.count).toBe(4);
    expect(r.all.rmse).toBeCloseTo(Math.sqrt(27 / 4), 12);
    expect(r.warm).toEqual({ count: 2, rmse: 1, mae: 1 });
    expect(r.cold.rmse).toBeCloseTo(Math.sqrt(25 / 2), 12);
    expect(r.coldUserRatings).toBe(1);
    expect(r.coldItemRatings).toBe(1);
    expect(Array.from(r.perUser.users)).toEqual([1, 2, 3]);
    expect(Array.from(r.perUser.mse)).toEqual([9, 16, 1]);
    expect(() => evaluateFoldInRatings(model, { foldIn, test: matrix(4, 6, []) })).toThrow(/no ratings/);
  });

  it('gives bias models rating predictions, not their ranking scores', async () => {
    const { train } = plantedRatings({ users: 60, items: 40, seed: 4 });
    const items = Uint32Array.of(0, 3, 7);
    const ratings = Float32Array.of(5, 4, 5);
    const targets = Uint32Array.of(1, 2, 39);
    const baseline = new BaselineOnlyModel();
    await baseline.fit(train);
    const { mu, bi } = baseline.parameters;
    const bu = baseline.foldInBias(items, ratings);
    expect(bu).toBeGreaterThan(0);
    const got = baseline.predictFoldIn(items, ratings, targets);
    for (const [j, i] of targets.entries())
      expect(got[j]).toBeCloseTo(Math.min(5, Math.max(1, mu + bu + bi[i])), 5);
    const popularity = new PopularityModel();
    await popularity.fit(train);
    for (const p of popularity.predictFoldIn(items, ratings, targets)) {
      expect(p).toBeGreaterThanOrEqual(1);
      expect(p).toBeLessThanOrEqual(5);
    }
  });
});

describe('evaluateSplit', () => {
  it('follows the split: holdout for training users, fold-in for held-out users', async () => {
    const dataset = syntheticDataset('tiny');
    const holdout = prepareDataset(dataset, { split: { method: 'random', test: 0.1 }, seed: 3 });
    const heldOut = prepareDataset(dataset, { split: { method: 'held-out-users', testUsers: 40 }, seed: 3 });
    expect(heldOutUsersOf(holdout)).toBeUndefined();
    expect(heldOutUsersOf(heldOut)?.testUsers).toBe(heldOut.split.testUsers);
    for (const [data, heldOutProtocol] of [
      [holdout, false],
      [heldOut, true],
    ] as const) {
      const model = new SvdModel({ factors: 4, epochs: 5, seed: 1 });
      await model.fit(data.trainSet);
      const e = await evaluateSplit(model, data, { ranking: { k: 5 } });
      const split = heldOutUsersOf(data);
      const rating = heldOutProtocol
        ? evaluateFoldInRatings(model, split!)
        : evaluateRatings(model, data.ratings.test);
      const ranking = heldOutProtocol
        ? await evaluateHeldOutUsers(model, split!, { k: 5 })
        : await evaluateRanking(model, data.ratings.test, { k: 5 });
      expect(e.rating).toEqual(rating);
      expect(e.ranking).toEqual(ranking);
      // The protocol told by facts, not by re-running the dispatch: held-out users are new
      // listeners (no training row) scored from their fold-in plays; holdout scores every test rating.
      const trainPtr = data.trainSet.ratings.indptr;
      if (heldOutProtocol) {
        const testUsers = new Set(Array.from(split!.testUsers ?? []));
        expect(testUsers.size).toBeGreaterThan(0);
        // Warm ratings only exist through fold-in: to the plain protocol these users are all cold.
        expect(e.rating.warm.count).toBeGreaterThan(0);
        expect(evaluateRatings(model, data.ratings.test).warm.count).toBe(0);
        expect(e.ranking!.users).toBeGreaterThan(0);
        for (const u of [...e.rating.perUser.users, ...e.ranking!.perUser.users]) {
          expect(testUsers.has(u)).toBe(true);
          expect(trainPtr[u + 1] - trainPtr[u]).toBe(0);
        }
      } else {
        const test = data.ratings.test;
        expect(e.rating.all.count).toBe(test.indptr[test.rows]);
        for (const u of e.ranking!.perUser.users) expect(trainPtr[u + 1] - trainPtr[u]).toBeGreaterThan(0);
      }
      expect((await evaluateSplit(model, data, { ranking: false })).ranking).toBeUndefined();
    }
  });
});

describe('holdout and cross-validation', () => {
  it('summarises a holdout evaluation as named numbers', async () => {
    const { train, test } = plantedRatings({ users: 80, items: 50, seed: 2 });
    const model = new SvdModel({ factors: 4, epochs: 5, seed: 1 });
    await model.fit(train);
    const e = await evaluateHoldout(model, test, { ranking: { k: [5, 10] } });
    const s = summarizeEvaluation(e);
    expect(Object.keys(s)).toEqual(
      expect.arrayContaining(['rmse', 'mae', 'warmRmse', 'ndcg@5', 'recall@10', 'coverage@10', 'map@5']),
    );
    expect(s).not.toHaveProperty('coldRmse'); // no cold ratings in this split
    const noRanking = await evaluateHoldout(model, test, { ranking: false });
    expect(noRanking.ranking).toBeUndefined();
  });

  it('runs k-fold cross-validation with mean ± sd per metric', async () => {
    const { train } = plantedRatings({ users: 100, items: 60, seed: 3, testShare: 0 });
    const folds = [...kFoldSplits(train.ratings, 3, 5)].map((s) => ({
      train: { ...train, ratings: s.train },
      test: s.test,
    }));
    const seen: number[] = [];
    const cv = await crossValidate(() => new SvdModel({ factors: 4, epochs: 10, seed: 1 }), folds, {
      ranking: { k: 5 },
      onFold: (f) => seen.push(f.fold),
    });
    expect(seen).toEqual([0, 1, 2]);
    expect(cv.summary.rmse.values).toHaveLength(3);
    expect(cv.summary.rmse.mean).toBeCloseTo(cv.folds.reduce((s, f) => s + f.metrics.rmse, 0) / 3, 12);
    expect(cv.summary.rmse.sd).toBeGreaterThan(0);
    expect(cv.summary).toHaveProperty('ndcg@5');
    expect(cv.summary).toHaveProperty('fitSeconds');
  });

  it('computes mean and sample sd', () => {
    expect(meanSd([1, 2, 3])).toEqual({ mean: 2, sd: 1, values: [1, 2, 3] });
    expect(meanSd([4]).sd).toBe(0);
    expect(() => meanSd([])).toThrow(/empty/);
  });
});

describe('comparePerUser', () => {
  it('pairs users by index', () => {
    const r = comparePerUser(
      { users: Uint32Array.of(0, 1, 2, 5), values: [1, 2, 3, 9] },
      { users: Uint32Array.of(1, 2, 5, 7), values: [1, 1, 2, 0] },
    );
    expect(r.n).toBe(3);
    expect(r.meanA).toBeCloseTo(14 / 3, 12);
    expect(r.meanB).toBeCloseTo(4 / 3, 12);
    expect(r.tTest.meanDifference).toBeCloseTo(10 / 3, 12);
  });
});

describe('compareModels', () => {
  const { train, test } = plantedRatings({ users: 250, items: 120, rank: 3, seed: 9 });
  const data = { trainSet: train, ratings: { train: train.ratings, test } };

  it('trains every model on the same split and tests each against SVD', async () => {
    const stages: string[] = [];
    const r = await compareModels(data, {
      models: [
        'global-mean',
        { name: 'svd', params: { factors: 8, epochs: 40, learningRate: 0.01 } },
        'baseline',
        { name: 'u-autorec', params: { hiddenUnits: 4, epochs: 2 } },
        'popularity',
      ],
      seed: 5,
      ranking: { k: [10] },
      onProgress: (e) => stages.push(`${e.model}:${e.stage}`),
    });
    expect(r.reference).toBe('svd');
    expect(r.protocol).toBe('holdout');
    const by = Object.fromEntries(r.models.map((m) => [m.label, m]));
    expect(by.svd.hyperParameters.seed).toBe(5);
    expect(by.svd.rating.rmse).toBeLessThan(by.baseline.rating.rmse);
    expect(by.baseline.rating.rmse).toBeLessThan(by['global-mean'].rating.rmse);
    expect(by.svd.curve).toHaveLength(40);
    expect(by.svd.epochs).toBe(40);
    // Each model's own FitResult.backend: SVD's loops, AutoRec's kernels without a tfjs backend.
    expect(by.svd.backend).toBe('js');
    expect(by['u-autorec'].backend).toMatch(/^js\+(wasm-simd|js)$/);
    expect(by.svd.significance).toBeUndefined();
    expect(by['global-mean'].significance?.against).toBe('svd');
    expect(by['global-mean'].significance?.userMse.tTest.pValue).toBeLessThan(1e-6);
    expect(by['global-mean'].significance?.userMse.wilcoxon.pValue).toBeLessThan(1e-6);
    expect(by.popularity.significance?.userNdcg).toBeDefined();
    // Ranking is tested against popularity, the line every recommender must beat.
    expect(r.rankingReference).toBe('popularity');
    expect(by.popularity.rankingSignificance).toBeUndefined();
    expect(by.svd.rankingSignificance?.against).toBe('popularity');
    expect(by.svd.rankingSignificance?.userNdcg.meanB).toBeCloseTo(by.popularity.ranking!.atK[0].ndcg, 12);
    expect(by.svd.ranking?.atK[0].k).toBe(10);
    expect(stages).toContain('svd:fit');
    expect(stages.at(-1)).toBe('popularity:done');
  });

  it('takes a prepared dataset as is, including a held-out-users split', async () => {
    const dataset = syntheticDataset('tiny');
    const holdout = prepareDataset(dataset, {
      split: { method: 'random', test: 0.1, validation: 0.1 },
      seed: 3,
    });
    const a = await compareModels(holdout, {
      models: [{ name: 'svd', params: { factors: 8 } }, 'popularity'],
      ranking: { k: 10 },
    });
    expect(a.protocol).toBe('holdout');
    // SVD does not early-stop, so it trains on training + validation (no model is handicapped).
    expect(a.models[0].trainedOn).toBe('train+validation');
    expect(a.models[0].curve[0].validationRmse).toBeUndefined();
    const heldOut = prepareDataset(dataset, { split: { method: 'held-out-users', testUsers: 40 }, seed: 3 });
    const b = await compareModels(heldOut, {
      models: [{ name: 'svd', params: { factors: 8 } }, 'popularity'],
    });
    expect(b.protocol).toBe('held-out-users');
    expect(b.models[0].ranking?.users).toBeGreaterThan(30);
    expect(b.models[0].ranking?.users).toBeLessThanOrEqual(40);
    // Held-out users are new listeners: rated from their fold-in plays, so mostly warm now.
    const r = b.models[0].rating;
    expect(r.warm.count).toBeGreaterThan(r.cold.count);
    expect(r.warm.count + r.cold.count).toBe(nnz(heldOut.ratings.test));
    // The same figure as scoring each of them by fold-in directly.
    const svd = new SvdModel({ factors: 8, seed: 42 });
    await svd.fit(heldOut.trainSet, { validation: heldOut.ratings.validation });
    const direct = evaluateFoldInRatings(svd, {
      foldIn: heldOut.ratings.foldIn!,
      test: heldOut.ratings.test,
      testUsers: heldOut.split.testUsers,
    });
    expect(r.rmse).toBeCloseTo(direct.all.rmse!, 10);
  });

  it('lets early-stopping models validate, refits them by default, and never ranks validation plays', async () => {
    const dataset = syntheticDataset('tiny');
    const prepared = prepareDataset(dataset, {
      split: { method: 'random', test: 0.1, validation: 0.1 },
      seed: 3,
    });
    const autorec = { name: 'i-autorec' as const, params: { hiddenUnits: 8, epochs: 6, patience: 6 } };
    const plain = await compareModels(prepared, { models: [autorec, 'svd'], keepModels: true, refit: false });
    const [a, svd] = plain.models;
    expect(a.trainedOn).toBe('train');
    expect(a.refitted).toBe(false);
    expect(a.curve.every((e) => e.validationRmse! > 0)).toBe(true);
    expect(nnz(plain.trained![0].trainSet.ratings)).toBe(nnz(prepared.ratings.train));
    expect(nnz(plain.trained![1].trainSet.ratings)).toBe(
      nnz(prepared.ratings.train) + nnz(prepared.ratings.validation!),
    );
    expect(svd.trainedOn).toBe('train+validation');
    // The AutoRec trained without validation plays still never ranks them: same as excluding them by hand.
    const direct = await evaluateRanking(plain.trained![0], prepared.ratings.test, {
      k: [10, 20, 50, 100],
      exclude: prepared.ratings.validation,
      seed: 42,
    });
    expect(a.ranking?.atK).toEqual(direct.atK);
    for (const m of plain.trained!) m.dispose();
    const epochEvents: { epoch: number; refit: boolean; validated: boolean }[] = [];
    const refit = await compareModels(prepared, {
      models: [autorec],
      keepModels: true,
      onProgress: (e) => {
        const t = e.training;
        if (t?.phase === 'epoch')
          epochEvents.push({
            epoch: t.epoch,
            refit: t.refit === true,
            validated: t.validationRmse !== undefined,
          });
      },
    });
    const r = refit.models[0];
    expect(r.refitted).toBe(true);
    // The refit's epochs say so, and carry no validation RMSE; the validated run's epochs are the curve.
    const refitEpochs = epochEvents.filter((e) => e.refit);
    expect(refitEpochs.map((e) => e.epoch)).toEqual(Array.from({ length: r.bestEpoch }, (_, i) => i + 1));
    expect(refitEpochs.every((e) => !e.validated)).toBe(true);
    expect(epochEvents.filter((e) => !e.refit)).toHaveLength(r.curve.length);
    expect(r.trainedOn).toBe('train+validation');
    expect(refit.trained![0].hyperParameters.epochs).toBe(r.bestEpoch);
    expect(nnz(refit.trained![0].trainSet.ratings)).toBe(
      nnz(prepared.ratings.train) + nnz(prepared.ratings.validation!),
    );
    refit.trained![0].dispose();
  });

  it('rejects bad model lists', async () => {
    await expect(compareModels(data, { models: [] })).rejects.toThrow(/at least one model/);
    await expect(compareModels(data, { models: ['svd', 'svd'] })).rejects.toThrow(/distinct labels/);
    await expect(compareModels(data, { models: ['nope' as never] })).rejects.toThrow(/unknown model 'nope'/);
  });

  it('on abort resolves with the finished models and says which one was in progress', async () => {
    const svd = { name: 'svd' as const, params: { factors: 8, epochs: 300 } };
    // Stopped during training: the first model is complete, the second is dropped, the third never started.
    let controller = new AbortController();
    const duringFit = await compareModels(data, {
      models: ['global-mean', svd, 'baseline'],
      keepModels: true,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.model === 'svd' && e.training?.phase === 'epoch' && e.training.epoch === 2)
          controller.abort(new Error('cancelled'));
      },
    });
    expect(duringFit.models.map((m) => m.label)).toEqual(['global-mean']);
    expect(duringFit.trained).toHaveLength(1);
    expect(duringFit.aborted).toEqual({
      model: 'svd',
      stage: 'fit',
      notStarted: ['baseline'],
      reason: new Error('cancelled'),
    });
    // The reference (svd) did not finish, so there is nothing to test against.
    expect(duringFit.models[0].significance).toBeUndefined();
    for (const m of duringFit.trained ?? []) m.dispose();

    // Stopped while ranking the second model: the first model's row is what a full run gives.
    const full = await compareModels(data, { models: ['baseline', 'popularity'], seed: 1 });
    controller = new AbortController();
    const duringEvaluation = await compareModels(data, {
      models: ['baseline', 'popularity', 'global-mean'],
      seed: 1,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.model === 'popularity' && e.stage === 'evaluate') controller.abort(new Error('stop'));
      },
    });
    expect(duringEvaluation.aborted).toMatchObject({
      model: 'popularity',
      stage: 'evaluate',
      notStarted: ['global-mean'],
    });
    expect(duringEvaluation.models).toHaveLength(1);
    expect(duringEvaluation.models[0].rating).toEqual(full.models[0].rating);
    expect(duringEvaluation.models[0].ranking).toEqual(full.models[0].ranking);

    // Aborted before anything started: nothing finished, nothing in progress.
    controller = new AbortController();
    controller.abort(new Error('cancelled'));
    const before = await compareModels(data, {
      models: ['global-mean', 'baseline'],
      signal: controller.signal,
    });
    expect(before.models).toEqual([]);
    expect(before.aborted).toEqual({
      model: undefined,
      stage: undefined,
      notStarted: ['global-mean', 'baseline'],
      reason: new Error('cancelled'),
    });
  });

  it('still fails on a real error while a signal is given', async () => {
    const controller = new AbortController();
    const foreign = {
      trainSet: data.trainSet,
      ratings: { train: data.ratings.train, test: plantedRatings({ users: 5, items: 5 }).test },
    };
    await expect(
      compareModels(foreign, { models: ['global-mean'], signal: controller.signal }),
    ).rejects.toThrow(/test matrix is 5×5/);
  });
});
