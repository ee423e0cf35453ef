import { csrFromTriplets, rowIndices, rowValues } from '@autorec/data';
import { plantedRatings } from '@autorec/test-utils';
import { describe, expect, it } from 'vitest';
import { AUTOREC_BASELINE, BiasBaseline } from './bias-baseline.ts';

/**
 *        i0  i1  i2  i3
 *   u0    5   3   ·   ·
 *   u1    4   ·   1   ·
 *   u2    ·   2   2   ·      μ = 17/6; item i3 and user u3 have no rating
 *   u3    ·   ·   ·   ·
 */
const { duplicates: _, ...tiny } = csrFromTriplets(
  4,
  4,
  [0, 0, 1, 1, 2, 2],
  [0, 1, 0, 2, 1, 2],
  [5, 3, 4, 1, 2, 2],
);

describe('BiasBaseline', () => {
  it('follows the ALS updates by hand: one epoch, items then users', () => {
    const b = BiasBaseline.fit(tiny, { epochs: 1, regItem: 1, regUser: 2 });
    const mu = 17 / 6;
    expect(b.mu).toBeCloseTo(mu, 12);
    const bi0 = (5 - mu + 4 - mu) / (1 + 2);
    const bi1 = (3 - mu + 2 - mu) / (1 + 2);
    expect(b.bi[0]).toBeCloseTo(bi0, 12);
    expect(b.bi[1]).toBeCloseTo(bi1, 12);
    expect(b.bi[3]).toBe(0);
    expect(b.bu[0]).toBeCloseTo((5 - mu - bi0 + 3 - mu - bi1) / (2 + 2), 12);
    expect(b.bu[3]).toBe(0);
  });

  it('gives cold ids bias 0 even without shrinkage (no 0/0)', () => {
    const b = BiasBaseline.fit(tiny, { regItem: 0, regUser: 0 });
    expect(b.bi[3]).toBe(0);
    expect(b.bu[3]).toBe(0);
    expect([...b.bi, ...b.bu].every(Number.isFinite)).toBe(true);
  });

  it("folds a training user's own ratings in to their trained bias (the user step comes last)", () => {
    const { train } = plantedRatings({ seed: 3 });
    for (const options of [{}, AUTOREC_BASELINE]) {
      const b = BiasBaseline.fit(train.ratings, options);
      for (const u of [0, 5, 17])
        expect(b.foldInBias(rowIndices(train.ratings, u), rowValues(train.ratings, u))).toBe(b.bu[u]);
      expect(b.foldInBias([], [])).toBe(0);
    }
  });

  it('with userSteps false is the shrunk item mean, every user bias 0', () => {
    const b = BiasBaseline.fit(tiny, { epochs: 1, regItem: 10, userSteps: false });
    const mu = 17 / 6;
    expect(b.bi[2]).toBeCloseTo((1 - mu + 2 - mu) / (10 + 2), 12);
    expect(Array.from(b.bu)).toEqual([0, 0, 0, 0]);
  });

  it('predicts μ + b_u + b_i clipped, −1 meaning unknown, and refuses other indices', () => {
    const b = BiasBaseline.fit(tiny);
    const clip = (x: number) => Math.min(5, Math.max(1, x));
    const p = b.predict(Int32Array.of(0, -1, 0, -1), Int32Array.of(1, 1, -1, -1), clip, 'test');
    expect(p[0]).toBeCloseTo(clip(b.mu + b.bu[0] + b.bi[1]), 6);
    expect(p[1]).toBeCloseTo(clip(b.mu + b.bi[1]), 6);
    expect(p[2]).toBeCloseTo(clip(b.mu + b.bu[0]), 6);
    expect(p[3]).toBeCloseTo(b.mu, 6);
    expect(() => b.predict(Int32Array.of(4), Int32Array.of(0), clip, 'test')).toThrow(/test: user index 4/);
    expect(() => b.predict(Int32Array.of(0), Int32Array.of(-2), clip, 'test')).toThrow(/test: item index -2/);
  });

  it('restores only arrays that fit the id maps, naming the file', () => {
    const b = BiasBaseline.fit(tiny);
    expect(BiasBaseline.restore('x.bin', b.mu, b.bu, b.bi, 4, 4).rating(0, 0)).toBe(b.rating(0, 0));
    expect(() => BiasBaseline.restore('x.bin', b.mu, b.bu, b.bi, 5, 4)).toThrow(
      /x\.bin: user biases should be 5/,
    );
    expect(() => BiasBaseline.restore('x.bin', undefined, b.bu, b.bi, 4, 4)).toThrow(/x\.bin: .*global mean/);
  });
});
