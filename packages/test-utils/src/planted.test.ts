import { describe, expect, it } from 'vitest';
import { contractTrainSet } from './fixtures.ts';
import { plantedRatings } from './planted.ts';

describe('plantedRatings', () => {
  it('uniform pattern: seeded, one index space for train and test, ratings on 1–5', () => {
    const a = plantedRatings({ users: 30, items: 20, seed: 3 });
    const b = plantedRatings({ users: 30, items: 20, seed: 3 });
    expect(Array.from(a.train.ratings.values)).toEqual(Array.from(b.train.ratings.values));
    expect([a.train.ratings.rows, a.train.ratings.cols, a.test.rows, a.test.cols]).toEqual([30, 20, 30, 20]);
    for (const v of [...a.train.ratings.values, ...a.test.values]) expect(v >= 1 && v <= 5).toBe(true);
    expect(a.noiseFloor).toBe(0.3);
    const c = plantedRatings({ users: 30, items: 20, seed: 4 });
    expect(Array.from(c.train.ratings.values)).not.toEqual(Array.from(a.train.ratings.values));
  });

  it('MovieLens shape: about `ratings` entries in whole stars, split 85/5/10, floor below the spread', () => {
    const d = plantedRatings({ users: 200, items: 300, ratings: 8_000, seed: 2 });
    const total = d.train.ratings.values.length + d.validation.values.length + d.test.values.length;
    expect(total).toBeGreaterThan(7_000);
    expect(total).toBeLessThan(9_000);
    expect(d.test.values.length / total).toBeGreaterThan(0.07);
    expect(d.test.values.length / total).toBeLessThan(0.13);
    for (const v of d.train.ratings.values) expect(Number.isInteger(v) && v >= 1 && v <= 5).toBe(true);
    expect(d.oracleRmse).toBeGreaterThan(0.5);
    expect(d.oracleRmse).toBeLessThan(1);
  });

  it('contractTrainSet: the last user and the last item are cold', () => {
    const t = contractTrainSet();
    const m = t.ratings;
    expect(m.indptr[m.rows] - m.indptr[m.rows - 1]).toBe(0);
    expect(Array.from(m.indices)).not.toContain(m.cols - 1);
    expect(m.indptr[m.rows]).toBeGreaterThan(100);
  });
});
