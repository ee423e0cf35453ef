import { csrFromTriplets, IdIndex, type TrainSet } from '@autorec/data';
import { plantedRatings } from '@autorec/test-utils';
import { runRecommenderContract } from '@autorec/test-utils/contract';
import { describe, expect, it } from 'vitest';
import { evaluateRatings } from '../evaluation/rating.ts';
import { BaselineOnlyModel, GlobalMeanModel, PopularityModel } from './baselines.ts';

runRecommenderContract('global-mean', () => new GlobalMeanModel());
runRecommenderContract('baseline (ALS)', () => new BaselineOnlyModel());
runRecommenderContract('baseline (SGD)', () => new BaselineOnlyModel({ method: 'sgd' }));
runRecommenderContract('popularity', () => new PopularityModel());

/**
 *        i0  i1  i2  i3
 *   u0    5   3   ·   ·
 *   u1    4   ·   1   ·
 *   u2    ·   2   2   ·      μ = 17/6; item i3 has no rating
 *   u3    ·   4   ·   ·
 */
function tiny(): TrainSet {
  const { duplicates: _, ...ratings } = csrFromTriplets(
    4,
    4,
    [0, 0, 1, 1, 2, 2, 3],
    [0, 1, 0, 2, 1, 2, 1],
    [5, 3, 4, 1, 2, 2, 4],
  );
  return {
    ratings,
    users: new IdIndex(['u0', 'u1', 'u2', 'u3']),
    items: new IdIndex(['i0', 'i1', 'i2', 'i3']),
    scale: { min: 1, max: 5 },
    transform: { name: 'log-bins', scale: { min: 1, max: 5 } },
  };
}

describe('GlobalMeanModel', () => {
  it('predicts the training mean for everyone', async () => {
    const m = new GlobalMeanModel();
    const fit = await m.fit(tiny());
    expect(fit.epochs).toEqual([]);
    expect(m.predict('u0', 'i0')).toBeCloseTo(21 / 7, 6);
    expect(m.predict('stranger', 'i3')).toBeCloseTo(3, 6);
    expect(() => new GlobalMeanModel({ anything: 1 })).toThrow(/unknown option 'anything'/);
  });
});

describe('BaselineOnlyModel', () => {
  it('computes Surprise’s ALS biases (one epoch, by hand)', async () => {
    const m = new BaselineOnlyModel({ epochs: 1, regItem: 1, regUser: 2 });
    await m.fit(tiny());
    const mu = 3;
    // Items first from b_u = 0, then users from the new b_i.
    const bi = [
      (5 - mu + (4 - mu)) / (1 + 2),
      (3 - mu + (2 - mu) + (4 - mu)) / (1 + 3),
      (1 - mu + (2 - mu)) / (1 + 2),
      0,
    ];
    const bu = [
      (5 - mu - bi[0] + (3 - mu - bi[1])) / (2 + 2),
      (4 - mu - bi[0] + (1 - mu - bi[2])) / (2 + 2),
      (2 - mu - bi[1] + (2 - mu - bi[2])) / (2 + 2),
      (4 - mu - bi[1]) / (2 + 1),
    ];
    const p = m.parameters;
    expect(p.mu).toBeCloseTo(mu, 12);
    for (let i = 0; i < 4; i++) expect(p.bi[i]).toBeCloseTo(bi[i], 12);
    for (let u = 0; u < 4; u++) expect(p.bu[u]).toBeCloseTo(bu[u], 12);
    expect(m.predict('u1', 'i2')).toBeCloseTo(mu + bu[1] + bi[2], 5);
    expect(m.predict('stranger', 'i2')).toBeCloseTo(mu + bi[2], 5);
    expect(m.predict('u1', 'unknown')).toBeCloseTo(mu + bu[1], 5);
    expect(m.predict('i-dont', 'exist')).toBeCloseTo(mu, 5);
  });

  it('computes Surprise’s SGD biases (one epoch, by hand)', async () => {
    const m = new BaselineOnlyModel({ method: 'sgd', epochs: 1, learningRate: 0.1, regularization: 0.5 });
    await m.fit(tiny());
    const bu = [0, 0, 0, 0];
    const bi = [0, 0, 0, 0];
    const seq: [number, number, number][] = [
      [0, 0, 5],
      [0, 1, 3],
      [1, 0, 4],
      [1, 2, 1],
      [2, 1, 2],
      [2, 2, 2],
      [3, 1, 4],
    ];
    for (const [u, i, r] of seq) {
      const err = r - (3 + bu[u] + bi[i]);
      bu[u] += 0.1 * (err - 0.5 * bu[u]);
      bi[i] += 0.1 * (err - 0.5 * bi[i]);
    }
    const p = m.parameters;
    for (let i = 0; i < 4; i++) expect(p.bi[i]).toBeCloseTo(bi[i], 12);
    for (let u = 0; u < 4; u++) expect(p.bu[u]).toBeCloseTo(bu[u], 12);
    expect(m.epochCount).toBe(1);
    expect(new BaselineOnlyModel({ method: 'sgd' }).epochCount).toBe(20);
    expect(new BaselineOnlyModel().epochCount).toBe(10);
  });

  it('beats the global mean on data with user and item effects', async () => {
    const { train, test } = plantedRatings({ users: 300, items: 200, rank: 1, seed: 3 });
    const base = new BaselineOnlyModel();
    await base.fit(train, { validation: test });
    const mean = new GlobalMeanModel();
    await mean.fit(train);
    expect(evaluateRatings(base, test).all.rmse!).toBeLessThan(0.85 * evaluateRatings(mean, test).all.rmse!);
  });

  it('recovers planted user and item biases close to the noise floor', async () => {
    // rank 0: r = 3 + b_u + b_i + ε, exactly the BaselineOnly model.
    const { train, test, noiseFloor } = plantedRatings({
      users: 400,
      items: 250,
      rank: 0,
      density: 0.3,
      seed: 5,
    });
    for (const model of [new BaselineOnlyModel(), new BaselineOnlyModel({ method: 'sgd', epochs: 60 })]) {
      await model.fit(train);
      expect(evaluateRatings(model, test).all.rmse!).toBeLessThan(noiseFloor * 1.15);
    }
  });

  it('folds in a new listener’s bias by the ALS user step', async () => {
    const m = new BaselineOnlyModel({ epochs: 3 });
    await m.fit(tiny());
    const { mu, bi } = m.parameters;
    const b = m.foldInBias(Uint32Array.of(0, 2), Float32Array.of(5, 5));
    expect(b).toBeCloseTo((5 - mu - bi[0] + (5 - mu - bi[2])) / (15 + 2), 12);
    const scores = m.scoreFoldIn(Uint32Array.of(0, 2), Float32Array.of(5, 5));
    expect(scores[1]).toBeCloseTo(mu + bi[1] + b, 5);
  });
});

describe('PopularityModel', () => {
  it('ranks by number of listeners and predicts the shrunk item mean', async () => {
    const m = new PopularityModel({ regItem: 1 });
    await m.fit(tiny());
    // Listeners: i0 2, i1 3, i2 2, i3 0.
    expect(Array.from(m.scoreUsers(Uint32Array.of(0)))).toEqual([2, 3, 2, 0]);
    expect(m.recommend('u3', 2).map((r) => r.item)).toEqual(['i0', 'i2']);
    expect(m.predict('anyone', 'i1')).toBeCloseTo(3 + (3 - 3 + (2 - 3) + (4 - 3)) / (1 + 3), 5);
    expect(m.predict('anyone', 'i3')).toBeCloseTo(3, 5);
  });

  it('predicts better than the global mean when items differ', async () => {
    const { train, test } = plantedRatings({ users: 300, items: 200, rank: 0, seed: 6 });
    const pop = new PopularityModel();
    await pop.fit(train);
    const mean = new GlobalMeanModel();
    await mean.fit(train);
    expect(evaluateRatings(pop, test).all.rmse!).toBeLessThan(0.85 * evaluateRatings(mean, test).all.rmse!);
  });

  it('uses co-listening cosine for similar items', async () => {
    const m = new PopularityModel();
    await m.fit(tiny());
    const sims = m.itemSimilarities(1); // i1's listeners: u0, u2, u3
    expect(sims[0]).toBeCloseTo(1 / Math.sqrt(3 * 2), 6); // shares u0 with i0
    expect(sims[2]).toBeCloseTo(1 / Math.sqrt(3 * 2), 6); // shares u2 with i2
    expect(sims[1]).toBeCloseTo(1, 6);
    expect(sims[3]).toBe(0);
  });
});
