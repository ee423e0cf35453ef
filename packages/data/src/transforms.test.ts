import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { csrFromTriplets } from './sparse.ts';
import { applyTransform, fitTransform, TRANSFORM_NAMES, transformPlays } from './transforms.ts';

const counts = csrFromTriplets(2, 5, [0, 0, 0, 1, 1, 1], [0, 1, 2, 0, 3, 4], [1, 3, 20, 2, 8, 500]);

describe('transforms', () => {
  it('log-bins follows 1, 2–3, 4–7, 8–15, 16+', () => {
    const spec = fitTransform('log-bins', counts);
    expect(Array.from(transformPlays(spec, [1, 2, 3, 4, 7, 8, 15, 16, 1000]))).toEqual([
      1, 2, 2, 3, 3, 4, 4, 5, 5,
    ]);
    expect(spec.scale).toEqual({ min: 1, max: 5 });
  });

  it('global-quantiles puts equal shares of the data in each rating', () => {
    const vals = Array.from({ length: 1000 }, (_, i) => i + 1);
    const m = csrFromTriplets(
      1,
      1000,
      new Array(1000).fill(0),
      vals.map((_, i) => i),
      vals,
    );
    const spec = fitTransform('global-quantiles', m);
    expect(spec.thresholds).toHaveLength(4);
    const r = applyTransform(spec, m).values;
    const hist = [0, 0, 0, 0, 0];
    for (const x of r) hist[x - 1]++;
    for (const h of hist) expect(h).toBe(200);
  });

  it('user-quantiles ranks within the user and gives ties one rating', () => {
    const spec = fitTransform('user-quantiles', counts);
    expect(Array.from(transformPlays(spec, [5, 1, 9, 3, 7]))).toEqual([3, 1, 5, 2, 4]);
    expect(Array.from(transformPlays(spec, [4, 4, 4]))).toEqual([3, 3, 3]);
  });

  it('binary, log1p, confidence and none give the documented values and ranges', () => {
    expect(Array.from(transformPlays(fitTransform('binary', counts), [1, 50]))).toEqual([1, 1]);
    expect(transformPlays(fitTransform('log1p', counts), [Math.E - 1])[0]).toBeCloseTo(1, 5);
    const conf = fitTransform('confidence', counts, { alpha: 2, epsilon: 1 });
    expect(transformPlays(conf, [Math.E - 1])[0]).toBeCloseTo(3, 5);
    expect(conf.scale.max).toBeCloseTo(1 + 2 * Math.log1p(500), 4);
    expect(fitTransform('none', counts).scale).toEqual({ min: 1, max: 500 });
  });

  it('rejects an unknown name', () => {
    expect(() => fitTransform('bogus' as never, counts)).toThrow(/unknown transform 'bogus'/);
  });

  it('every transform is monotone (non-decreasing) in play count', () => {
    for (const name of TRANSFORM_NAMES) {
      const spec = fitTransform(name, counts);
      fc.assert(
        fc.property(fc.array(fc.integer({ min: 1, max: 100_000 }), { minLength: 1, maxLength: 40 }), (cs) => {
          const out = transformPlays(spec, cs);
          for (let i = 0; i < cs.length; i++)
            for (let j = 0; j < cs.length; j++) if (cs[i] < cs[j]) expect(out[i]).toBeLessThanOrEqual(out[j]);
        }),
        { numRuns: 50 },
      );
    }
  });
});
