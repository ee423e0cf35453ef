import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cosineToRow, rowNorms } from './item-cosine.ts';

/** Rows of `dim` values laid out `stride` apart (padding filled with junk that must be ignored). */
const layout = fc
  .record({
    n: fc.integer({ min: 1, max: 8 }),
    dim: fc.integer({ min: 1, max: 6 }),
    pad: fc.integer({ min: 0, max: 3 }),
  })
  .chain(({ n, dim, pad }) =>
    fc
      .array(fc.float({ min: -4, max: 4, noNaN: true }), {
        minLength: n * (dim + pad),
        maxLength: n * (dim + pad),
      })
      .map((values) => ({ n, dim, stride: dim + pad, rows: Float32Array.from(values) })),
  );

describe('item cosine', () => {
  it('equals ⟨a,b⟩/(‖a‖‖b‖) on the first dim values of each row, 0 for zero rows, and is symmetric', () => {
    fc.assert(
      fc.property(layout, fc.nat(), ({ n, dim, stride, rows }, pick) => {
        const item = pick % n;
        const norms = rowNorms(rows, n, dim, stride, new Float64Array(n));
        const row = (r: number) => Array.from(rows.subarray(r * stride, r * stride + dim));
        const sims = cosineToRow(rows, norms, item, n, dim, stride);
        for (let j = 0; j < n; j++) {
          const a = row(item);
          const b = row(j);
          const na = Math.hypot(...a);
          const nb = Math.hypot(...b);
          const want = na === 0 || nb === 0 ? 0 : a.reduce((s, x, f) => s + x * b[f], 0) / (na * nb);
          expect(sims[j]).toBeCloseTo(want, 5);
          expect(sims[j]).toBeCloseTo(cosineToRow(rows, norms, j, n, dim, stride)[item], 5);
        }
      }),
    );
  });

  it('gives 0 to skipped rows, and all 0 when the item itself is skipped', () => {
    const rows = Float32Array.of(1, 0, 1, 1, 0, 1);
    const norms = rowNorms(rows, 3, 2, 2, new Float32Array(3));
    expect(Array.from(cosineToRow(rows, norms, 0, 3, 2, 2, (r) => r === 1))).toEqual([1, 0, 0]);
    expect(Array.from(cosineToRow(rows, norms, 1, 3, 2, 2, (r) => r === 1))).toEqual([0, 0, 0]);
  });
});
